// Command resend-invitation is the Lambda function of POST /invitations/{invitationId}/resend.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("resendInvitation")
	if err != nil {
		log.Fatalf("resend-invitation: %v", err)
	}
	lambda.Start(h)
}
