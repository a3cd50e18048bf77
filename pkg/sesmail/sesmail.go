// Package sesmail sends the product's emails through Amazon SES (aws-sdk-go-v2/service/ses);
// locally, through aws-ses-v2-local.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
)

// Client is the part of the SES client the mailer uses; *ses.Client implements it.
type Client interface {
	SendEmail(ctx context.Context, in *ses.SendEmailInput, opts ...func(*ses.Options)) (*ses.SendEmailOutput, error)
}

// Mailer sends email from one configured sender identity.
type Mailer struct {
	client Client
	from   string
}

// New returns a Mailer sending from the address from (a verified SES identity).
func New(client Client, from string) *Mailer {
	return &Mailer{client: client, from: from}
}

// Send sends one message with its text and HTML bodies. Returns EMAILFAILED, with the SES error
// wrapped (never shown to clients), when SES refuses or cannot be reached.
func (m *Mailer) Send(ctx context.Context, msg invitation.Message) error {
	utf8 := aws.String("UTF-8")
	_, err := m.client.SendEmail(ctx, &ses.SendEmailInput{
		Source:      aws.String(m.from),
		Destination: &types.Destination{ToAddresses: []string{msg.To}},
		Message: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(msg.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(msg.HTML), Charset: utf8},
			},
		},
	})
	if err != nil {
		return fmt.Errorf("%w: ses SendEmail: %s", casescribe.Errorf(casescribe.EMAILFAILED,
			"The invitation was saved but its email could not be sent; try resending it."), reason(err))
	}
	return nil
}

// reason names why SES failed without its message, which can quote the addresses it refused:
// the error is logged, and logs carry no personal data.
func reason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return "service error " + api.ErrorCode()
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return "timed out"
		}
		return "network error"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "cancelled"
	}
	return "request failed"
}
