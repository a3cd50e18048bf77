package bedrockai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/bedrockai"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// These tests run the provider against a local server that speaks the Converse wire format
// (REST-JSON: POST /model/{modelId}/converse), so they check what is actually sent and parsed,
// not what the provider hands to a fake. They were written against the SDK's Bedrock Runtime
// client and kept unchanged when the package replaced it.

const modelID = "anthropic.claude-3-5-haiku-20241022-v1:0"

// wireRequest is a Converse request body as documented; only the parts the tests check.
type wireRequest struct {
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Text *string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
	System []struct {
		Text string `json:"text"`
	} `json:"system"`
	InferenceConfig *struct {
		MaxTokens   int      `json:"maxTokens"`
		Temperature *float64 `json:"temperature"`
	} `json:"inferenceConfig"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				InputSchema struct {
					JSON struct {
						Type       string         `json:"type"`
						Properties map[string]any `json:"properties"`
						Required   []string       `json:"required"`
					} `json:"json"`
				} `json:"inputSchema"`
			} `json:"toolSpec"`
		} `json:"tools"`
	} `json:"toolConfig"`
}

// received is one request as the server saw it.
type received struct {
	ModelID string
	// URI is the request's target as sent, its path escaped.
	URI    string
	Header http.Header
	// Raw is the body as sent, byte for byte.
	Raw  []byte
	Body wireRequest
	// Keys are the top-level members present, to check that one is absent rather than empty.
	Keys map[string]json.RawMessage
}

// converseServer answers every Converse call with one canned status and body and records the
// requests.
type converseServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	status   int
	header   http.Header
	body     string
}

func newServer(t *testing.T, status int, body string) *converseServer {
	t.Helper()
	s := &converseServer{status: status, body: body, header: http.Header{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /model/{modelID}/converse", func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request: %v", err)
		}
		rec := received{ModelID: r.PathValue("modelID"), URI: r.RequestURI, Header: r.Header.Clone(), Raw: raw}
		if err := json.Unmarshal(raw, &rec.Body); err != nil {
			t.Errorf("request body is not a Converse request: %v", err)
		}
		if err := json.Unmarshal(raw, &rec.Keys); err != nil {
			t.Errorf("request body is not a JSON object: %v", err)
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		for k, v := range s.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Requestid", "req-1234")
		w.WriteHeader(s.status)
		io.WriteString(w, s.body)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// only returns the one request the server received.
func (s *converseServer) only(t *testing.T) received {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) != 1 {
		t.Fatalf("server received %d requests, want 1", len(s.requests))
	}
	return s.requests[0]
}

func (s *converseServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// provider is a Provider pointed at s, with no retries so that an error reaches the test after
// one request.
func provider(s *converseServer) *bedrockai.Provider {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		RetryMaxAttempts: 1,
	}
	return bedrockai.FromConfig(cfg, s.URL, modelID)
}

// reply builds a Converse response body: an assistant message of a text block (when text is
// not "") followed by toolUse blocks.
func reply(t *testing.T, text string, toolUses ...map[string]any) string {
	t.Helper()
	var content []any
	if text != "" {
		content = append(content, map[string]any{"text": text})
	}
	stop := "end_turn"
	for i, in := range toolUses {
		name := in["_name"]
		delete(in, "_name")
		content = append(content, map[string]any{"toolUse": map[string]any{
			"toolUseId": "tooluse_" + string(rune('a'+i)), "name": name, "input": in,
		}})
		stop = "tool_use"
	}
	b, err := json.Marshal(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
		"stopReason": stop,
		"usage":      map[string]any{"inputTokens": 120, "outputTokens": 40, "totalTokens": 160},
		"metrics":    map[string]any{"latencyMs": 321},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var facts = []casescribe.Fact{
	{ID: "f1", Date: "2024-03-01", Tags: []string{"MRI"}, KeyFact: true, Text: "MRI of the left knee showed a torn meniscus."},
	{ID: "f2", Date: "2024-03-15", Text: "Dr. Reyes recommended arthroscopic surgery."},
	{ID: "f3", Tags: []string{"employment"}, Text: "The client missed six weeks of work."},
}

func TestAnswerAsGuest(t *testing.T) {
	s := newServer(t, http.StatusOK, reply(t,
		"The MRI showed a torn meniscus [fact:f1] and surgery was recommended [fact:f2]. "+
			"The MRI was reviewed again [fact:f1]; an invented source [fact:f99] is not shown.",
		// A model offered no tool may still emit one; a guest's answer must carry no action.
		map[string]any{"_name": "create_fact", "text": "Smuggled fact."},
	))
	q := ai.Question{
		Text:    "What did the knee MRI show?",
		Facts:   facts,
		History: []ai.Turn{{Question: "Who is the treating doctor?", Answer: "Dr. Reyes."}},
	}
	got, err := provider(s).Answer(context.Background(), q)
	if err != nil {
		t.Fatalf("Answer: %v", err)
	}

	req := s.only(t)
	if req.ModelID != modelID {
		t.Errorf("model id in path = %q, want %q", req.ModelID, modelID)
	}
	if auth := req.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/us-east-1/bedrock/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for bedrock in us-east-1", auth)
	}
	if _, ok := req.Keys["toolConfig"]; ok {
		t.Errorf("a guest's request has a toolConfig: %s", req.Keys["toolConfig"])
	}
	if len(req.Body.System) != 1 || !strings.Contains(req.Body.System[0].Text, "ONLY from the facts") || !strings.Contains(req.Body.System[0].Text, "[fact:ID]") {
		t.Errorf("system prompt = %+v, want the facts-only rule and the citation form", req.Body.System)
	}
	if ic := req.Body.InferenceConfig; ic == nil || ic.MaxTokens != 800 || ic.Temperature == nil || *ic.Temperature > 0.5 {
		t.Errorf("inferenceConfig = %+v, want maxTokens 800 and a low temperature", ic)
	}
	var roles, texts []string
	for _, m := range req.Body.Messages {
		roles = append(roles, m.Role)
		if len(m.Content) != 1 || m.Content[0].Text == nil {
			t.Fatalf("message content = %+v, want one text block", m.Content)
		}
		texts = append(texts, *m.Content[0].Text)
	}
	if want := []string{"user", "assistant", "user"}; !slices.Equal(roles, want) {
		t.Fatalf("roles = %v, want %v", roles, want)
	}
	if texts[0] != q.History[0].Question || texts[1] != q.History[0].Answer {
		t.Errorf("history messages = %q, want the earlier turn", texts[:2])
	}
	last := texts[2]
	for _, want := range []string{q.Text, `"id":"f1"`, `"date":"2024-03-01"`, `"tags":["MRI"]`, `"key":true`, facts[0].Text, `"id":"f3"`, facts[2].Text} {
		if !strings.Contains(last, want) {
			t.Errorf("user message lacks %q:\n%s", want, last)
		}
	}

	want := ai.Answer{
		Text:      "The MRI showed a torn meniscus and surgery was recommended. The MRI was reviewed again; an invented source is not shown.",
		Citations: []string{"f1", "f2"},
	}
	if got.Text != want.Text {
		t.Errorf("text = %q, want %q", got.Text, want.Text)
	}
	if !slices.Equal(got.Citations, want.Citations) {
		t.Errorf("citations = %q, want %q", got.Citations, want.Citations)
	}
	if len(got.Actions) != 0 {
		t.Errorf("a guest's answer has actions: %+v", got.Actions)
	}
}

func TestAnswerAsStaff(t *testing.T) {
	s := newServer(t, http.StatusOK, reply(t, "I proposed the new fact and the tag [fact:f1].",
		map[string]any{"_name": "create_fact", "text": "  Physical therapy started.  ", "date": "2024-04-02"},
		map[string]any{"_name": "create_fact", "text": "Undated fact."},
		map[string]any{"_name": "create_fact", "text": "   "},                                // blank
		map[string]any{"_name": "create_fact", "text": "Vague date.", "date": "March 2024"},  // not YYYY-MM-DD
		map[string]any{"_name": "create_fact", "text": "No such day.", "date": "2024-02-30"}, // not a day
		map[string]any{"_name": "apply_tag", "tag": " knee ", "factIds": []any{"f1", "f99", "f2", "f1"}},
		map[string]any{"_name": "apply_tag", "tag": "ghost", "factIds": []any{"f99"}},                // no known fact
		map[string]any{"_name": "apply_tag", "tag": "[x]", "factIds": []any{"f1"}},                   // bad tag
		map[string]any{"_name": "apply_tag", "tag": strings.Repeat("t", 51), "factIds": []any{"f1"}}, // too long
		map[string]any{"_name": "apply_tag", "tag": "no ids"},                                        // missing factIds
		map[string]any{"_name": "delete_case", "caseId": "c1"},                                       // not offered
	))
	got, err := provider(s).Answer(context.Background(), ai.Question{Text: "Add that PT started on April 2 and tag the knee facts.", Facts: facts, CanAct: true})
	if err != nil {
		t.Fatalf("Answer: %v", err)
	}

	req := s.only(t)
	tc := req.Body.ToolConfig
	if tc == nil {
		t.Fatal("staff request has no toolConfig")
	}
	var names []string
	for _, tool := range tc.Tools {
		names = append(names, tool.ToolSpec.Name)
		schema := tool.ToolSpec.InputSchema.JSON
		if schema.Type != "object" || tool.ToolSpec.Description == "" {
			t.Errorf("tool %s: schema type %q, description %q", tool.ToolSpec.Name, schema.Type, tool.ToolSpec.Description)
		}
		wantRequired := map[string][]string{"create_fact": {"text"}, "apply_tag": {"tag", "factIds"}}[tool.ToolSpec.Name]
		if !slices.Equal(schema.Required, wantRequired) {
			t.Errorf("tool %s requires %v, want %v", tool.ToolSpec.Name, schema.Required, wantRequired)
		}
		for _, p := range wantRequired {
			if _, ok := schema.Properties[p]; !ok {
				t.Errorf("tool %s has no property %s", tool.ToolSpec.Name, p)
			}
		}
	}
	if want := []string{"create_fact", "apply_tag"}; !slices.Equal(names, want) {
		t.Errorf("tools = %v, want %v", names, want)
	}

	wantActions := []ai.Action{
		{Kind: ai.CreateFact, Text: "Physical therapy started.", Date: "2024-04-02"},
		{Kind: ai.CreateFact, Text: "Undated fact."},
		{Kind: ai.ApplyTag, Tag: "knee", FactIDs: []string{"f1", "f2"}},
	}
	if len(got.Actions) != len(wantActions) {
		t.Fatalf("actions = %+v, want %+v", got.Actions, wantActions)
	}
	for i, a := range got.Actions {
		w := wantActions[i]
		if a.Kind != w.Kind || a.Text != w.Text || a.Date != w.Date || a.Tag != w.Tag || !slices.Equal(a.FactIDs, w.FactIDs) {
			t.Errorf("action %d = %+v, want %+v", i, a, w)
		}
	}
	if got.Text != "I proposed the new fact and the tag." || !slices.Equal(got.Citations, []string{"f1"}) {
		t.Errorf("answer = %q %q", got.Text, got.Citations)
	}
}

func TestAnswerModelIDIsEscaped(t *testing.T) {
	// An inference profile ARN holds "/" and ":"; it must reach the service as one path segment.
	const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"
	s := newServer(t, http.StatusOK, reply(t, "The facts do not say."))
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""), RetryMaxAttempts: 1}
	if _, err := bedrockai.FromConfig(cfg, s.URL, arn).Answer(context.Background(), ai.Question{Text: "Anything?"}); err != nil {
		t.Fatalf("Answer: %v", err)
	}
	if got := s.only(t).ModelID; got != arn {
		t.Errorf("model id in path = %q, want %q", got, arn)
	}
}

func TestAnswerEmptyReplyIsError(t *testing.T) {
	// The only tool use is invalid, and there is no text: nothing to show is not an answer.
	s := newServer(t, http.StatusOK, reply(t, "", map[string]any{"_name": "apply_tag", "tag": "x", "factIds": []any{"f99"}}))
	_, err := provider(s).Answer(context.Background(), ai.Question{Text: "Tag it.", Facts: facts, CanAct: true})
	if err == nil {
		t.Fatal("Answer of an empty reply: no error")
	}
}

func TestServiceErrorHidesRequest(t *testing.T) {
	const secret = "Did the client hide the second accident from the insurer?"
	tests := []struct {
		status int
		code   string
	}{
		{http.StatusBadRequest, "ValidationException"},
		{http.StatusForbidden, "AccessDeniedException"},
		{http.StatusTooManyRequests, "ThrottlingException"},
		{http.StatusInternalServerError, "InternalServerException"},
		{http.StatusServiceUnavailable, "ServiceUnavailableException"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			// The service's message quotes the request, as validation messages can.
			body, _ := json.Marshal(map[string]string{"message": "Malformed input: " + secret + " / " + facts[0].Text})
			s := newServer(t, tt.status, string(body))
			s.header.Set("X-Amzn-Errortype", tt.code)

			_, err := provider(s).Answer(context.Background(), ai.Question{Text: secret, Facts: facts})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "second accident") || strings.Contains(msg, "meniscus") {
				t.Errorf("error text holds the question or a fact: %s", msg)
			}
			if !strings.Contains(msg, tt.code) || !strings.Contains(msg, "req-1234") {
				t.Errorf("error text = %q, want the code %s and the request id", msg, tt.code)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tt.code {
				t.Errorf("errors.As APIError = %v, want code %s reachable for callers", api, tt.code)
			}
			if n := s.count(); n != 1 {
				t.Errorf("server received %d requests, want 1", n)
			}
		})
	}
}

func TestUnreadableResponseIsError(t *testing.T) {
	s := newServer(t, http.StatusOK, `{"output": "meniscus`)
	_, err := provider(s).Answer(context.Background(), ai.Question{Text: "What happened?", Facts: facts})
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "meniscus") {
		t.Errorf("error text holds the response body: %s", err)
	}
}

func TestSuggestTags(t *testing.T) {
	long := strings.Repeat("x", 51)
	s := newServer(t, http.StatusOK, reply(t, "Here are the tags {as asked}:\n```json\n"+`{"suggestions":[
		{"factId":"f1","tags":["knee"," imaging ","mri","[bad]","`+long+`","knee","a","b","c","d"]},
		{"factId":"f99","tags":["ghost"]},
		{"factId":"f2","tags":["surgery"]},
		{"factId":"f3","tags":["employment"]},
		{"factId":"f2","tags":["Surgery","treatment"]}
	]}`+"\n```"))
	got, err := provider(s).SuggestTags(context.Background(), facts)
	if err != nil {
		t.Fatalf("SuggestTags: %v", err)
	}
	want := []ai.TagSuggestion{
		// "mri" is already on f1 (as "MRI"); at most 5 tags.
		{FactID: "f1", Tags: []string{"knee", "imaging", "a", "b", "c"}},
		{FactID: "f2", Tags: []string{"surgery", "treatment"}},
		// f3 only got a tag it has: no suggestion. f99 is unknown.
	}
	if len(got) != len(want) {
		t.Fatalf("suggestions = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i].FactID != want[i].FactID || !slices.Equal(got[i].Tags, want[i].Tags) {
			t.Errorf("suggestion %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	req := s.only(t)
	if _, ok := req.Keys["toolConfig"]; ok {
		t.Error("a tag request has a toolConfig")
	}
	if len(req.Body.System) != 1 || !strings.Contains(req.Body.System[0].Text, `{"suggestions":[{"factId":`) {
		t.Errorf("system prompt = %+v, want the JSON form", req.Body.System)
	}
	if len(req.Body.Messages) != 1 || !strings.Contains(*req.Body.Messages[0].Content[0].Text, facts[1].Text) {
		t.Errorf("messages = %+v, want one user message with the facts", req.Body.Messages)
	}
}

func TestGroup(t *testing.T) {
	s := newServer(t, http.StatusOK, reply(t, `{"groups":[
		{"name":" Medical ","factIds":["f1","f99","f1"]},
		{"name":"","factIds":["f3"]},
		{"name":"Unknown only","factIds":["f98"]},
		{"name":"Work","factIds":["f3","f1"]},
		{"name":"medical","factIds":["f2"]}
	]}`))
	got, err := provider(s).Group(context.Background(), facts)
	if err != nil {
		t.Fatalf("Group: %v", err)
	}
	want := []ai.Group{
		{Name: "Medical", FactIDs: []string{"f1", "f2"}}, // "medical" merged in
		{Name: "Work", FactIDs: []string{"f3"}},          // f1 is already in Medical
	}
	if len(got) != len(want) {
		t.Fatalf("groups = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i].Name != want[i].Name || !slices.Equal(got[i].FactIDs, want[i].FactIDs) {
			t.Errorf("group %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if sys := s.only(t).Body.System; len(sys) != 1 || !strings.Contains(sys[0].Text, `{"groups":[{"name":`) {
		t.Errorf("system prompt = %+v, want the JSON form", sys)
	}
}

func TestNonJSONReplyIsError(t *testing.T) {
	for _, text := range []string{
		"I am sorry, I cannot group facts about the meniscus.",
		`{"result":"meniscus"}`,      // JSON, but not of the asked form
		`{"suggestions":[{"factId":`, // cut off by the token limit
	} {
		s := newServer(t, http.StatusOK, reply(t, text))
		p := provider(s)
		if _, err := p.SuggestTags(context.Background(), facts); err == nil {
			t.Errorf("SuggestTags of %q: no error", text)
		} else if strings.Contains(err.Error(), "meniscus") {
			t.Errorf("SuggestTags error holds the reply: %s", err)
		}
		if _, err := p.Group(context.Background(), facts); err == nil {
			t.Errorf("Group of %q: no error", text)
		}
	}
}

func TestNoFactsNoCall(t *testing.T) {
	s := newServer(t, http.StatusOK, reply(t, `{"groups":[]}`))
	p := provider(s)
	if got, err := p.SuggestTags(context.Background(), nil); err != nil || got != nil {
		t.Errorf("SuggestTags(nil) = %v, %v", got, err)
	}
	if got, err := p.Group(context.Background(), nil); err != nil || got != nil {
		t.Errorf("Group(nil) = %v, %v", got, err)
	}
	if n := s.count(); n != 0 {
		t.Errorf("server received %d requests, want 0", n)
	}
}
