// Package bedrockai is Ask AI's production provider: it asks one Amazon Bedrock model through
// the Converse API, which speaks the same request shape to every model family, so the model is
// a deployment setting rather than code.
//
// The package speaks the Converse API itself, one JSON POST signed with the SDK's Signature
// Version 4 signer (aws/signer/v4), rather than through the SDK's Bedrock Runtime client: it
// needs one operation, and the client, with the types and schemas of all the others, added more
// than a megabyte to each function that asks the AI, past their size budget. The requests are
// the bytes the client sent, retried by the SDK's retryer as the client retried them, and
// failures come back as the same error values (golden files and an error table check both).
//
// The model is never trusted: the citations and actions it returns are checked against the
// facts it was given, and whatever it cannot back with those facts is dropped. Errors never
// carry the question, the facts or the model's reply, because errors are logged and those are
// privileged; they still wrap the underlying error, so a caller can find a smithy.APIError (to
// tell ThrottlingException from the rest) with errors.As, or a deadline with errors.Is.
package bedrockai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// Provider asks one Bedrock model through the Converse API. Its only state between calls is
// the retryer's retry quota, which all its calls share; it is safe for concurrent use.
type Provider struct {
	// url is where the model's Converse requests go; unusable when err is set.
	url     string
	region  string
	creds   aws.CredentialsProvider
	client  aws.HTTPClient
	retryer aws.Retryer
	// err is what is wrong with the configuration, returned by every call: FromConfig has no
	// error to return, and a provider that cannot sign must not fail quietly.
	err error
}

var _ ai.Provider = (*Provider)(nil)

// FromConfig returns a Provider asking the model modelID (a model id, an inference profile id
// or an ARN, as Converse accepts) with cfg's region, credentials (retrieved for every request),
// HTTP client and retry settings. endpoint "" means cfg's BaseEndpoint if set, else AWS's
// endpoint for cfg's region; any other value replaces it (a local stand-in in tests). A
// configuration that cannot sign (no region, no credentials, no model id, an endpoint that is
// not a URL) makes every call fail. Everything is set up here, once, so a Lambda pays for it at
// cold start only.
func FromConfig(cfg aws.Config, endpoint, modelID string) *Provider {
	p := &Provider{
		region:  cfg.Region,
		creds:   cfg.Credentials,
		client:  cfg.HTTPClient,
		retryer: retryerFor(cfg),
	}
	if p.client == nil {
		// The SDK's own default, so that connection and TLS timeouts stay what they were.
		p.client = awshttp.NewBuildableClient()
	}
	p.url, p.err = converseURL(cfg, endpoint, modelID)
	return p
}

// Inference settings. Answers are short and should stick to the facts, hence a low
// temperature; the JSON tasks get more room because their reply grows with the number of
// facts, and none at all for creativity because their output is parsed.
const (
	answerMaxTokens   = 800
	answerTemperature = 0.2
	jsonMaxTokens     = 4000
	jsonTemperature   = 0
)

// converse sends one request and returns the model's text blocks and tool uses.
func (p *Provider) converse(ctx context.Context, op string, in *converseRequest) (reply, error) {
	if p.err != nil {
		// A configuration error holds nothing privileged, so its text is kept.
		return reply{}, fmt.Errorf("bedrock %s: %w", op, p.err)
	}
	body, err := in.encode()
	if err != nil {
		return reply{}, fmt.Errorf("bedrock %s: encode request: %w", op, err)
	}
	out, err := p.call(ctx, body)
	if err != nil {
		return reply{}, &converseError{op: op, err: err}
	}
	msg := out.Output.Message
	if msg == nil {
		return reply{}, fmt.Errorf("bedrock %s: the reply holds no message (stop reason %q)", op, out.StopReason)
	}
	r := reply{stopReason: out.StopReason}
	var texts []string
	for _, b := range msg.Content {
		switch {
		case b.Text != nil:
			if t := strings.TrimSpace(*b.Text); t != "" {
				texts = append(texts, t)
			}
		case b.ToolUse != nil:
			r.toolUses = append(r.toolUses, *b.ToolUse)
		}
	}
	r.text = strings.Join(texts, "\n\n")
	return r, nil
}

// reply is what one Converse call produced that the provider reads.
type reply struct {
	text       string
	toolUses   []toolUse
	stopReason string
}

// converseError is a failed Converse call. Its text names why without the service's message,
// which can quote the request (the question, the facts); the underlying error stays reachable
// through errors.As and errors.Is for callers that branch on throttling or a deadline.
type converseError struct {
	op  string
	err error
}

func (e *converseError) Error() string { return "bedrock " + e.op + ": " + reason(e.err) }

func (e *converseError) Unwrap() error { return e.err }

// reason names why a call failed from the error's kind and code only.
func reason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		s := "service error " + api.ErrorCode()
		var resp *awshttp.ResponseError
		if errors.As(err, &resp) {
			s += fmt.Sprintf(" (HTTP %d, request id %s)", resp.HTTPStatusCode(), resp.ServiceRequestID())
		}
		return s
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return "timed out"
		}
		return "network error"
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return "unreadable response"
	}
	return "request failed"
}

// factLine is how a fact is shown to the model: one JSON object a line, so that a fact's text
// (which may hold line breaks, brackets or instructions) cannot pass for another fact.
type factLine struct {
	ID   string   `json:"id"`
	Date string   `json:"date,omitempty"`
	Tags []string `json:"tags,omitempty"`
	Key  bool     `json:"key,omitempty"`
	Text string   `json:"text"`
}

// factList renders facts for a prompt, or says there are none, so the model never has to guess
// from an empty section.
func factList(facts []casescribe.Fact) string {
	if len(facts) == 0 {
		return "(no facts)\n"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // fewer tokens, and the model reads "<" better than "\u003c"
	for _, f := range facts {
		// Encoding strings, a bool and a string slice cannot fail.
		_ = enc.Encode(factLine{ID: f.ID, Date: f.Date, Tags: f.Tags, Key: f.KeyFact, Text: f.Text})
	}
	return b.String()
}

// factIDs is the set of ids of facts, the only ids a reply may name.
func factIDs(facts []casescribe.Fact) map[string]bool {
	ids := make(map[string]bool, len(facts))
	for _, f := range facts {
		ids[f.ID] = true
	}
	return ids
}

// knownIDs keeps the ids among known, once each, in order.
func knownIDs(ids []string, known map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if known[id] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func userText(s string) message {
	return message{Role: roleUser, Content: []textBlock{{Text: text(s)}}}
}

func assistantText(s string) message {
	return message{Role: roleAssistant, Content: []textBlock{{Text: text(s)}}}
}

func system(s string) []textBlock {
	return []textBlock{{Text: text(s)}}
}
