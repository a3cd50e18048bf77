package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/casescribe/sharing/pkg/store"
)

// verification is what reading everything back found.
type verification struct {
	t *tally
	// requests counts the reads it took; storeFacts the facts compared with the table itself
	// (in-process only), storeMismatches those that differ from what the API answered.
	requests                    int
	storeFacts, storeMismatches int
}

// verify reads back, as the admin, everything the API acknowledged during the run, and
// counts what it finds. A read that fails is an error: nothing can be counted without it.
func verify(ctx context.Context, c *apiClient, w *world, led *ledger, st *store.Store) (*verification, error) {
	led.mu.Lock()
	defer led.mu.Unlock()
	v := &verification{t: newTally()}
	admin := w.admin
	get := func(route, path string, out any) error {
		v.requests++
		return c.must(ctx, call{route: route, path: path, who: admin, want: http.StatusOK}, out)
	}

	// Facts: every page of every case.
	stored := map[string]*storedFact{}
	for _, k := range w.cases {
		cursor := ""
		for {
			path := "/cases/" + k.id + "/facts?limit=100"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var page struct {
				Items      []factJSON
				NextCursor *string
			}
			if err := get("GET /cases/{caseId}/facts", path, &page); err != nil {
				return nil, err
			}
			for _, f := range page.Items {
				stored[f.ID] = &storedFact{version: f.Version, text: f.Text, tags: f.Tags}
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
	}
	for id, r := range led.facts {
		checkFact(r, stored[id], v.t)
		if r.deleted {
			v.requests++
			a := c.send(ctx, call{route: "GET /facts/{factId}", path: "/facts/" + id, who: admin, want: http.StatusNotFound})
			if a.err != nil || a.status != http.StatusNotFound {
				v.t.anomaly("fact %s: deleted, GET /facts/%s answers %d", id, id, a.status)
			}
		}
	}
	if st != nil {
		for _, k := range w.cases {
			facts, err := st.CaseFacts(ctx, w.orgID, k.id)
			if err != nil {
				return nil, fmt.Errorf("read the facts of case %s from the table: %w", k.id, err)
			}
			for _, f := range facts {
				v.storeFacts++
				if s := stored[f.ID]; s == nil || s.version != f.Version || s.text != f.Text {
					v.storeMismatches++
					v.t.anomaly("fact %s: the table holds version %d, the API answered %+v", f.ID, f.Version, s)
				}
			}
		}
	}

	// Comments, by fact.
	byFact := map[string][]commentRecord{}
	for _, cm := range led.comments {
		byFact[cm.factID] = append(byFact[cm.factID], cm)
	}
	for factID, want := range byFact {
		have := map[string]string{}
		cursor := ""
		for {
			path := "/facts/" + factID + "/comments?limit=100"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var page struct {
				Items      []struct{ ID, Text string }
				NextCursor *string
			}
			if err := get("GET /facts/{factId}/comments", path, &page); err != nil {
				return nil, err
			}
			for _, cm := range page.Items {
				have[cm.ID] = cm.Text
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		for _, cm := range want {
			if text, ok := have[cm.id]; ok && text == cm.text {
				v.t.ok(kindComment, 1)
			} else {
				v.t.lose(kindComment, 1, "comment %s on fact %s: acknowledged, not found with its text", cm.id, factID)
			}
		}
	}

	// Chats and their questions.
	for id, ch := range led.chats {
		var got struct {
			Title     string
			Exchanges []struct{ ID, Question string }
		}
		if err := get("GET /chats/{chatId}", "/chats/"+id, &got); err != nil {
			v.t.lose(kindChat, 1, "chat %s: acknowledged, reading it back: %v", id, err)
			v.t.lose(kindMessage, len(ch.questions), "chat %s: its questions cannot be read", id)
			continue
		}
		if got.Title == ch.title {
			v.t.ok(kindChat, 1)
		} else {
			v.t.lose(kindChat, 1, "chat %s: title %q acknowledged, %q stored", id, ch.title, got.Title)
		}
		asked := map[string]string{}
		for _, e := range got.Exchanges {
			asked[e.ID] = e.Question
		}
		for exID, q := range ch.questions {
			if asked[exID] == q {
				v.t.ok(kindMessage, 1)
			} else {
				v.t.lose(kindMessage, 1, "chat %s: question %s acknowledged, not found", id, exID)
			}
		}
	}

	// Views, by case.
	viewCases := map[string]bool{}
	for _, vr := range led.views {
		viewCases[vr.caseID] = true
	}
	views := map[string]string{}
	for caseID := range viewCases {
		var list struct{ Items []struct{ ID, Name string } }
		if err := get("GET /cases/{caseId}/views", "/cases/"+caseID+"/views", &list); err != nil {
			return nil, err
		}
		for _, it := range list.Items {
			views[it.ID] = it.Name
		}
	}
	for id, vr := range led.views {
		name, present := views[id]
		switch {
		case vr.deleted && present:
			v.t.ok(kindViewCreated, 1)
			v.t.lose(kindViewDeleted, 1, "view %s: deletion acknowledged, still listed", id)
		case vr.deleted:
			v.t.ok(kindViewCreated, 1)
			v.t.ok(kindViewDeleted, 1)
		case present && name == vr.name:
			v.t.ok(kindViewCreated, 1)
		default:
			v.t.lose(kindViewCreated, 1, "view %s (%q): creation acknowledged, not listed", id, vr.name)
		}
	}

	// Shares.
	for id, sr := range led.shares {
		v.requests++
		a := c.send(ctx, call{route: "GET /shares/{shareId}", path: "/shares/" + id, who: admin, want: http.StatusOK})
		if a.err != nil || a.status >= 500 {
			return nil, fmt.Errorf("GET /shares/%s: %d %v", id, a.status, a.err)
		}
		if sr.deleted {
			v.t.ok(kindShareCreated, 1)
			v.t.ok(kindShareChanged, sr.changes)
			if a.status == http.StatusNotFound {
				v.t.ok(kindShareDeleted, 1)
			} else {
				v.t.lose(kindShareDeleted, 1, "share %s: deletion acknowledged, GET answers %d", id, a.status)
			}
			continue
		}
		var sh shareJSON
		if a.status != http.StatusOK || a.decode(&sh) != nil {
			v.t.lose(kindShareCreated, 1, "share %s: acknowledged, GET answers %d", id, a.status)
			v.t.lose(kindShareChanged, sr.changes, "share %s: its changes are gone with it", id)
			continue
		}
		v.t.ok(kindShareCreated, 1)
		if sh.Version == sr.version && sh.Scope == sr.scope && deref(sh.CaseID) == sr.caseID {
			v.t.ok(kindShareChanged, sr.changes)
		} else {
			v.t.lose(kindShareChanged, max(sr.changes, 1), "share %s: version %d %s %s acknowledged, version %d %s %s stored",
				id, sr.version, sr.scope, sr.caseID, sh.Version, sh.Scope, deref(sh.CaseID))
		}
	}

	// What each changing guest sees now: exactly its share's cases, nothing once removed.
	for _, g := range w.churn {
		var want []string
		switch {
		case g.shareID == "":
		case g.caseID == "":
			for _, k := range w.churnCases {
				want = append(want, k.id)
			}
		default:
			want = []string{g.caseID}
		}
		var list struct{ Items []struct{ ID string } }
		v.requests++
		if err := c.must(ctx, call{route: "GET /cases", path: "/cases", who: g.p, want: http.StatusOK}, &list); err != nil {
			return nil, err
		}
		var got []string
		for _, it := range list.Items {
			got = append(got, it.ID)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			v.t.anomaly("%s sees cases %v, its share opens %v", g.p.label, got, want)
		}
	}

	// Summaries.
	for caseID, r := range led.summaries {
		var sum struct {
			Version int
			Text    string
		}
		if err := get("GET /cases/{caseId}/summary", "/cases/"+caseID+"/summary", &sum); err != nil {
			return nil, err
		}
		checkVersioned("summary of case "+caseID, r, sum.Version, sum.Text, v.t, kindSummarySaved)
	}
	return v, nil
}
