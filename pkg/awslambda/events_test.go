package awslambda_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/casescribe/sharing/pkg/api"
)

// The sample events for sam local invoke decode, field for field, into the event types the
// functions take, and name routes that exist.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "infra", "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var head struct {
				Type     string `json:"type"`
				RouteKey string `json:"routeKey"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				t.Fatal(err)
			}
			if _, ok := api.RouteByKey(head.RouteKey); !ok {
				t.Errorf("route %q is not in the route table", head.RouteKey)
			}
			var dst any = &events.APIGatewayV2HTTPRequest{}
			if head.Type == "REQUEST" {
				dst = &events.APIGatewayV2CustomAuthorizerV2Request{}
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(dst); err != nil {
				t.Errorf("does not decode as %T: %v", dst, err)
			}
		})
	}
}
