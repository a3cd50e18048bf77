package bedrockai_test

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/bedrockai"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// The golden files under testdata were written by the SDK's own Bedrock Runtime client, before
// the package sent requests itself; they hold what it put on the wire. A request that differs
// in a single byte fails here, so the model sees exactly what it saw before.
var update = flag.Bool("update", false, "rewrite the golden files from the requests sent")

// awkward holds every kind of character a JSON encoder may write in more than one way: HTML
// characters, quotes and backslashes, the escapes with short forms (\b, \f), other control
// characters, DEL, bytes that are not UTF-8, the line and paragraph separators, and characters
// beyond ASCII. Facts are pasted from documents, so any of them can reach a request.
const awkward = "<b>Tom & Jerry</b> \"quoted\" back\\slash tab\there cr\rlf\nbs\bff\fnul\x00us\x1fdel\x7f bad\xff\xfeutf8 ls\u2028ps\u2029 é 🙂 \\d{4}"

// goldenFacts are facts whose every field holds something an encoder could get wrong.
var goldenFacts = []casescribe.Fact{
	{ID: "01J0AAA", Date: "2024-03-01", Tags: []string{"MRI", "knee <left>"}, KeyFact: true, Text: "MRI: " + awkward},
	{ID: "01J0BBB", Text: "Plain fact."},
	{ID: "01J0C\"C", Tags: []string{"é"}, Text: "Odd id."},
}

// goldenModelID is an inference profile ARN with characters a path escaper may keep or not.
const goldenModelID = "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.model+v1 beta:0"

func TestRequestsMatchGolden(t *testing.T) {
	question := ai.Question{
		Text:  "What happened? " + awkward,
		Facts: goldenFacts,
		History: []ai.Turn{
			{Question: "First " + awkward, Answer: "Answer " + awkward},
			{Question: "Skipped", Answer: " "},
			{Question: "Second?", Answer: "Yes."},
		},
	}
	staff := question
	staff.CanAct = true
	tests := []struct {
		name string
		call func(*bedrockai.Provider) error
	}{
		{"answer-guest", func(p *bedrockai.Provider) error {
			_, err := p.Answer(context.Background(), question)
			return err
		}},
		{"answer-staff", func(p *bedrockai.Provider) error {
			_, err := p.Answer(context.Background(), staff)
			return err
		}},
		{"suggest-tags", func(p *bedrockai.Provider) error {
			_, err := p.SuggestTags(context.Background(), goldenFacts)
			return err
		}},
		{"group", func(p *bedrockai.Provider) error {
			_, err := p.Group(context.Background(), goldenFacts)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every reply is one the provider accepts, so that each call succeeds.
			s := newServer(t, http.StatusOK, reply(t, `Fine. {"suggestions":[],"groups":[]}`))
			cfg := aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""), RetryMaxAttempts: 1}
			if err := tt.call(bedrockai.FromConfig(cfg, s.URL, goldenModelID)); err != nil {
				t.Fatalf("call: %v", err)
			}
			req := s.only(t)
			got := append([]byte(http.MethodPost+" "+req.URI+"\n"), req.Raw...)
			file := filepath.Join("testdata", "converse-"+tt.name+".golden")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("request differs from %s\n got: %q\nwant: %q", file, got, want)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}
