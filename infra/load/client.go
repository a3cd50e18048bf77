package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// person is a signed-in account of the run: staff or guest.
type person struct {
	label  string // how the report names them: "admin", "member 1", "guest (view)"
	email  string
	name   string
	userID string
	token  string
}

// apiClient sends requests to the API under load as the people of one organization.
type apiClient struct {
	base  string
	hc    *http.Client
	orgID string
}

// call is one request: the route it hits (as the route table names it), an optional variant
// for the report, and what answers count as success.
type call struct {
	route  string // "GET /cases/{caseId}/facts"
	label  string // variant shown beside the route: "guest, view"
	path   string // "/cases/01J…/facts?tag=imaging"
	body   any    // encoded as JSON; nil for none
	who    *person
	noOrg  bool // routes outside any organization: /orgs, /invitations/accept
	want   int  // the success status
	expect map[int]string
	write  bool
}

// answer is what came back.
type answer struct {
	status  int
	body    []byte
	latency time.Duration
	err     error // no HTTP answer at all
}

// ok says the answer is the call's success status.
func (a answer) ok(c call) bool { return a.err == nil && a.status == c.want }

// decode reads the answer's JSON body into out.
func (a answer) decode(out any) error {
	if err := json.Unmarshal(a.body, out); err != nil {
		return fmt.Errorf("decode answer (%d): %w", a.status, err)
	}
	return nil
}

// apiError is the code and message of an error answer, "" when there is none.
func (a answer) apiError() (code, message string) {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(a.body, &e) != nil {
		return "", ""
	}
	return e.Error.Code, e.Error.Message
}

// method is the HTTP method of a route key.
func method(route string) string {
	for i := range len(route) {
		if route[i] == ' ' {
			return route[:i]
		}
	}
	return route
}

// send makes the request and reads the whole answer; the latency covers both.
func (c *apiClient) send(ctx context.Context, cl call) answer {
	var body io.Reader
	if cl.body != nil {
		raw, err := json.Marshal(cl.body)
		if err != nil {
			return answer{err: err}
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method(cl.route), c.base+cl.path, body)
	if err != nil {
		return answer{err: err}
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.who != nil {
		req.Header.Set("Authorization", "Bearer "+cl.who.token)
	}
	if !cl.noOrg && c.orgID != "" {
		req.Header.Set("X-Org-Id", c.orgID)
	}
	start := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err, latency: time.Since(start)}
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	return answer{status: res.StatusCode, body: raw, latency: time.Since(start), err: err}
}

// must sends a request outside the measurement (seeding, reading back) and fails unless it
// answers the call's success status; out, if not nil, receives the decoded answer.
func (c *apiClient) must(ctx context.Context, cl call, out any) error {
	a := c.send(ctx, cl)
	if a.err != nil {
		return fmt.Errorf("%s %s: %w", cl.route, cl.path, a.err)
	}
	if a.status != cl.want {
		return fmt.Errorf("%s %s as %s: %d %s", cl.route, cl.path, whoLabel(cl.who), a.status, truncate(string(a.body), 300))
	}
	if out != nil {
		return a.decode(out)
	}
	return nil
}

func whoLabel(p *person) string {
	if p == nil {
		return "nobody"
	}
	return p.label
}

// truncate cuts s to at most n bytes, saying so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
