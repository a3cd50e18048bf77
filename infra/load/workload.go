package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// budget bounds the run in requests: every request takes one before it is sent.
type budget struct {
	max  int64
	used atomic.Int64
}

// take reserves one request; false once the budget is spent.
func (b *budget) take() bool {
	for {
		cur := b.used.Load()
		if cur >= b.max {
			return false
		}
		if b.used.CompareAndSwap(cur, cur+1) {
			return true
		}
	}
}

func (b *budget) spent() bool { return b.used.Load() >= b.max }

// worker is one caller: it picks operations by weight until the time or the budget is up.
type worker struct {
	id    int
	w     *world
	c     *apiClient
	led   *ledger
	rec   *recorder
	rng   *rand.Rand
	b     *budget
	churn chan *churnGuest
	seq   int
	// isolation counts answers that showed a guest more than was shared.
	isolation int
	races     races
	// scratch are facts this caller created and did not publish: only it deletes them.
	scratch []scratchFact
	// views are views this caller created: only it deletes them.
	views []string
}

type scratchFact struct{ id, caseID string }

// races counts the pairs of simultaneous versioned writes by how many of the two won: one is
// right; none means a third write came first; two is a lost update.
type races struct{ one, none, two int }

func (r *races) add(o races) { r.one, r.none, r.two = r.one+o.one, r.none+o.none, r.two+o.two }

// op is one kind of thing a caller does; weight is its share of the picks.
type op struct {
	name   string
	weight int
	run    func(w *worker)
}

// ops are the operations of the mix. Reads are about four in five of the requests: the writes
// that read first (an edit reads the fact's version) add their reads.
var ops = []op{
	{"list cases (staff)", 6, (*worker).listCasesStaff},
	{"list cases (guest)", 6, (*worker).listCasesGuest},
	{"read a case (staff)", 6, (*worker).getCaseStaff},
	{"read a case (guest)", 6, (*worker).getCaseGuest},
	{"guest probes a case not shared", 1, (*worker).probeUnshared},
	{"list facts (staff)", 8, (*worker).listFactsStaff},
	{"list facts, filtered (staff)", 6, (*worker).listFactsFiltered},
	{"list facts under a view (guest)", 7, (*worker).listFactsView},
	{"list facts, filtered (guest)", 4, (*worker).listFactsGuest},
	{"filter under a view (refused)", 1, (*worker).filterUnderView},
	{"read a fact (staff)", 5, (*worker).getFactStaff},
	{"read a fact (guest)", 3, (*worker).getFactGuest},
	{"list comments", 4, (*worker).listComments},
	{"list documents", 4, (*worker).listDocuments},
	{"read a document", 2, (*worker).getDocument},
	{"read the summary", 4, (*worker).getSummary},
	{"list chats", 3, (*worker).listChats},
	{"read a chat", 3, (*worker).getChat},
	{"users directory", 3, (*worker).listUsers},
	{"people with access", 2, (*worker).listCaseShares},
	{"read a client", 2, (*worker).getClient},
	{"list views", 2, (*worker).listViews},

	{"create a fact", 4, (*worker).createFact},
	{"edit a fact (read, then PATCH with its version)", 3, (*worker).editFact},
	{"add a tag", 2, (*worker).addTag},
	{"comment", 3, (*worker).comment},
	{"start a chat and ask", 1, (*worker).chat},
	{"share with a guest, change it, remove it", 2, (*worker).changeShares},
	{"create a view", 1, (*worker).createView},
	{"delete a view", 1, (*worker).deleteView},
	{"save the summary (read, then PUT with its version)", 1, (*worker).saveSummary},
	{"two simultaneous edits of a fact with one version", 1, (*worker).raceFactEdits},
	{"two simultaneous saves of a summary with one version", 1, (*worker).raceSummarySaves},
	{"delete a fact", 1, (*worker).deleteFact},
}

// pick chooses an operation by weight.
func pick(rng *rand.Rand, ops []op) op {
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	n := rng.IntN(total)
	for _, o := range ops {
		if n < o.weight {
			return o
		}
		n -= o.weight
	}
	return ops[len(ops)-1]
}

// runWorkload runs callers workers until end, the budget or stop, and returns their merged
// record and the time the last one finished.
func runWorkload(stop context.Context, w *world, c *apiClient, led *ledger, callers int, end time.Time, b *budget) (*recorder, int, races, time.Time) {
	churn := make(chan *churnGuest, len(w.churn))
	for _, g := range w.churn {
		churn <- g
	}
	workers := make([]*worker, callers)
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		start := time.Now()
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				progress("%s: %d requests", time.Since(start).Round(time.Second), b.used.Load())
			}
		}
	}()
	for i := range workers {
		wk := &worker{id: i + 1, w: w, c: c, led: led, rec: newRecorder(), b: b, churn: churn,
			rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i+1)))}
		workers[i] = wk
		wg.Go(func() {
			for stop.Err() == nil && time.Now().Before(end) && !b.spent() {
				pick(wk.rng, ops).run(wk)
			}
		})
	}
	wg.Wait()
	finished := time.Now()
	close(done)
	all := newRecorder()
	isolation := 0
	var rc races
	for _, wk := range workers {
		all.merge(wk.rec)
		isolation += wk.isolation
		rc.add(wk.races)
	}
	return all, isolation, rc, finished
}

// send makes one request of the run and records it; false when the budget is spent and
// nothing was sent.
func (w *worker) send(cl call) (answer, bool) {
	if !w.b.take() {
		return answer{}, false
	}
	a := w.c.send(context.Background(), cl)
	w.rec.record(cl, a)
	return a, true
}

// write sends a write, retrying (at most tries times in all) while it answers 409 with
// nothing written because another write held the same items: the API says "try again" then,
// and the web app does. A 409 the call expects (a stale version in a deliberate race) is not
// retried. Each 409 retried is an expected answer of the report; the last one is a failure.
func (w *worker) write(cl call, tries int) (answer, bool) {
	cl.write = true
	for i := 1; ; i++ {
		c := cl
		retry := cl.expect[http.StatusConflict] == "" && i < tries
		if retry {
			c.expect = map[int]string{http.StatusConflict: "409 conflict with a concurrent write, nothing written: retried"}
			for k, v := range cl.expect {
				c.expect[k] = v
			}
		}
		a, sent := w.send(c)
		if !sent {
			return a, false
		}
		if retry && a.err == nil && a.status == http.StatusConflict {
			time.Sleep(time.Duration(5+w.rng.IntN(20*i)) * time.Millisecond)
			continue
		}
		return a, true
	}
}

// outcomeUnknown says a write may or may not have been applied: no answer, or a 5xx.
func outcomeUnknown(a answer) bool { return a.err != nil || a.status >= 500 }

// violation records an answer that showed a guest more than was shared: it fails the run.
func (w *worker) violation(cl call, a answer, format string, args ...any) {
	w.isolation++
	w.rec.failed++
	if len(w.rec.failures) < maxFailures {
		w.rec.failures = append(w.rec.failures, failure{route: cl.route, who: whoLabel(cl.who), path: cl.path, status: a.status,
			answer: "isolation: " + fmt.Sprintf(format, args...)})
	}
}

// --- choices -----------------------------------------------------------------------------

func (w *worker) staff() *person     { return w.w.staff[w.rng.IntN(len(w.w.staff))] }
func (w *worker) anyCase() *caseInfo { return w.w.cases[w.rng.IntN(len(w.w.cases))] }
func (w *worker) members() *person   { return w.w.members[w.rng.IntN(len(w.w.members))] }

// guestCase picks a guest and a case it holds.
func (w *worker) guestAndCase() (*person, *caseInfo) {
	switch w.rng.IntN(3) {
	case 0:
		cs := w.w.clientShared.cases
		return w.w.guestClient, cs[w.rng.IntN(len(cs))]
	case 1:
		return w.w.guestCase, w.w.caseShared
	default:
		return w.w.guestView, w.w.viewShared
	}
}

// fact picks a published fact of k; imaging limits the pick to facts tagged imaging.
func (w *worker) fact(k *caseInfo, imaging bool) string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	list := k.facts
	if imaging {
		list = k.imaging
	}
	return list[w.rng.IntN(len(list))]
}

func (w *worker) next() int { w.seq++; return w.seq }

// --- reads -------------------------------------------------------------------------------

func (w *worker) listCasesStaff() {
	w.send(call{route: "GET /cases", label: "staff", path: "/cases", who: w.staff(), want: http.StatusOK})
}

func (w *worker) listCasesGuest() {
	g, _ := w.guestAndCase()
	cl := call{route: "GET /cases", label: "guest", path: "/cases", who: g, want: http.StatusOK}
	a, sent := w.send(cl)
	if !sent || !a.ok(cl) {
		return
	}
	var list struct{ Items []struct{ ID string } }
	if err := a.decode(&list); err != nil {
		w.violation(cl, a, "%v", err)
		return
	}
	want := 1
	if g == w.w.guestClient {
		want = len(w.w.clientShared.cases)
	}
	if len(list.Items) != want {
		w.violation(cl, a, "%s sees %d cases, %d are shared", g.label, len(list.Items), want)
	}
}

func (w *worker) getCaseStaff() {
	w.send(call{route: "GET /cases/{caseId}", label: "staff", path: "/cases/" + w.anyCase().id, who: w.staff(), want: http.StatusOK})
}

func (w *worker) getCaseGuest() {
	g, k := w.guestAndCase()
	w.send(call{route: "GET /cases/{caseId}", label: "guest", path: "/cases/" + k.id, who: g, want: http.StatusOK})
}

// probeUnshared has a guest ask for a case it does not hold: 404, as for an unknown id.
func (w *worker) probeUnshared() {
	g := w.w.guestView
	k := w.w.caseShared
	if w.rng.IntN(2) == 0 {
		g, k = w.w.guestCase, w.w.viewShared
	}
	w.send(call{route: "GET /cases/{caseId}", label: "guest, not shared", path: "/cases/" + k.id, who: g, want: http.StatusNotFound})
}

func (w *worker) listFactsStaff() {
	w.send(call{route: "GET /cases/{caseId}/facts", label: "staff", path: "/cases/" + w.anyCase().id + "/facts", who: w.staff(), want: http.StatusOK})
}

func (w *worker) listFactsFiltered() {
	k := w.anyCase()
	queries := []string{"?tag=imaging&keyOnly=true", "?q=surgery&sort=created&order=desc", "?from=2025-02-01&to=2025-04-30",
		"?viewId=" + k.keysView, "?tag=treatment&limit=5", "?keyOnly=true&sort=date&order=desc"}
	w.send(call{route: "GET /cases/{caseId}/facts", label: "staff, filtered", path: "/cases/" + k.id + "/facts" + queries[w.rng.IntN(len(queries))],
		who: w.staff(), want: http.StatusOK})
}

// listFactsView is the view-limited guest's fact list: every fact must be of the view.
func (w *worker) listFactsView() {
	k := w.w.viewShared
	cl := call{route: "GET /cases/{caseId}/facts", label: "guest, view", path: "/cases/" + k.id + "/facts", who: w.w.guestView, want: http.StatusOK}
	a, sent := w.send(cl)
	if !sent || !a.ok(cl) {
		return
	}
	var list struct {
		Items    []factJSON
		View     *struct{ ID string }
		Controls struct{ Filter, Sort bool }
	}
	if err := a.decode(&list); err != nil {
		w.violation(cl, a, "%v", err)
		return
	}
	if list.View == nil || list.View.ID != k.imagingView || list.Controls.Filter || list.Controls.Sort {
		w.violation(cl, a, "the list does not run under the guest's view with filter and sort locked")
	}
	for _, f := range list.Items {
		if !hasTag(f.Tags, "imaging") {
			w.violation(cl, a, "fact %s (tags %v) is outside the view Imaging", f.ID, f.Tags)
		}
	}
}

func (w *worker) listFactsGuest() {
	cl := call{route: "GET /cases/{caseId}/facts", label: "guest, filtered", want: http.StatusOK}
	if w.rng.IntN(2) == 0 {
		cl.who, cl.path = w.w.guestCase, "/cases/"+w.w.caseShared.id+"/facts?tag=treatment"
	} else {
		cs := w.w.clientShared.cases
		cl.who, cl.path = w.w.guestClient, "/cases/"+cs[w.rng.IntN(len(cs))].id+"/facts?keyOnly=true"
	}
	w.send(cl)
}

// filterUnderView: a guest limited to a view asks for a filter; the API refuses (403
// view_locked) rather than widening anything.
func (w *worker) filterUnderView() {
	cl := call{route: "GET /cases/{caseId}/facts", label: "guest, view, filter refused", path: "/cases/" + w.w.viewShared.id + "/facts?tag=billing",
		who: w.w.guestView, want: http.StatusForbidden}
	if a, sent := w.send(cl); sent && a.ok(cl) {
		if code, _ := a.apiError(); code != "view_locked" {
			w.violation(cl, a, "refused with code %q, not view_locked", code)
		}
	}
}

func (w *worker) getFactStaff() {
	k := w.anyCase()
	w.send(call{route: "GET /facts/{factId}", label: "staff", path: "/facts/" + w.fact(k, false), who: w.staff(), want: http.StatusOK})
}

func (w *worker) getFactGuest() {
	cl := call{route: "GET /facts/{factId}", label: "guest", want: http.StatusOK}
	if w.rng.IntN(2) == 0 {
		cl.who, cl.path = w.w.guestView, "/facts/"+w.fact(w.w.viewShared, true)
	} else {
		cl.who, cl.path = w.w.guestCase, "/facts/"+w.fact(w.w.caseShared, false)
	}
	w.send(cl)
}

func (w *worker) listComments() {
	k := w.anyCase()
	w.send(call{route: "GET /facts/{factId}/comments", path: "/facts/" + w.fact(k, false) + "/comments", who: w.staff(), want: http.StatusOK})
}

func (w *worker) listDocuments() {
	cl := call{route: "GET /cases/{caseId}/documents", label: "staff", path: "/cases/" + w.anyCase().id + "/documents", who: w.staff(), want: http.StatusOK}
	if w.rng.IntN(3) == 0 {
		cl.label, cl.who, cl.path = "guest, view", w.w.guestView, "/cases/"+w.w.viewShared.id+"/documents"
	}
	w.send(cl)
}

func (w *worker) getDocument() {
	k := w.anyCase()
	w.send(call{route: "GET /documents/{documentId}", path: "/documents/" + k.docs[w.rng.IntN(len(k.docs))], who: w.staff(), want: http.StatusOK})
}

func (w *worker) getSummary() {
	cl := call{route: "GET /cases/{caseId}/summary", label: "staff", path: "/cases/" + w.anyCase().id + "/summary", who: w.staff(), want: http.StatusOK}
	if w.rng.IntN(3) == 0 {
		cl.label, cl.who, cl.path = "guest", w.w.guestCase, "/cases/"+w.w.caseShared.id+"/summary"
	}
	w.send(cl)
}

func (w *worker) listChats() {
	cl := call{route: "GET /cases/{caseId}/chats", label: "staff", path: "/cases/" + w.anyCase().id + "/chats", who: w.staff(), want: http.StatusOK}
	if w.rng.IntN(3) == 0 {
		cl.label, cl.who, cl.path = "guest", w.w.guestCase, "/cases/"+w.w.caseShared.id+"/chats"
	}
	w.send(cl)
}

func (w *worker) getChat() {
	cl := call{route: "GET /chats/{chatId}", label: "staff", path: "/chats/" + w.anyCase().chat, who: w.staff(), want: http.StatusOK}
	if w.rng.IntN(3) == 0 {
		cl.label, cl.who, cl.path = "guest, shared chat", w.w.guestCase, "/chats/"+w.w.caseShared.chat
	}
	w.send(cl)
}

func (w *worker) listUsers() {
	w.send(call{route: "GET /users", path: "/users", who: w.staff(), want: http.StatusOK})
}

func (w *worker) listCaseShares() {
	w.send(call{route: "GET /cases/{caseId}/shares", path: "/cases/" + w.anyCase().id + "/shares", who: w.staff(), want: http.StatusOK})
}

func (w *worker) getClient() {
	cl := call{route: "GET /clients/{clientId}", label: "staff", path: "/clients/" + w.w.clients[w.rng.IntN(len(w.w.clients))].id, who: w.staff(), want: http.StatusOK}
	if w.rng.IntN(3) == 0 {
		cl.label, cl.who, cl.path = "guest", w.w.guestClient, "/clients/"+w.w.clientShared.id
	}
	w.send(cl)
}

func (w *worker) listViews() {
	cl := call{route: "GET /cases/{caseId}/views", label: "staff", path: "/cases/" + w.anyCase().id + "/views", who: w.staff(), want: http.StatusOK}
	if w.rng.IntN(3) == 0 {
		cl.label, cl.who, cl.path = "guest, view", w.w.guestView, "/cases/"+w.w.viewShared.id+"/views"
	}
	a, sent := w.send(cl)
	if !sent || cl.who != w.w.guestView || !a.ok(cl) {
		return
	}
	var list struct{ Items []struct{ ID string } }
	if err := a.decode(&list); err != nil || len(list.Items) != 1 || list.Items[0].ID != w.w.viewShared.imagingView {
		w.violation(cl, a, "the view-limited guest lists views other than its own")
	}
}

// --- writes ------------------------------------------------------------------------------

// extraTags are the tags callers add; with the seed's, a fact stays well under the limit.
var extraTags = []string{"reviewed", "disputed", "follow-up", "deposition", "expert", "lien", "priority", "verified"}

var factTags = [][]string{{"imaging"}, {"treatment"}, {"billing", "insurance"}, {"symptoms"}, {"witness"}, nil}

func (w *worker) createFact() {
	k := w.anyCase()
	tags := factTags[w.rng.IntN(len(factTags))]
	body := map[string]any{
		"text":    fmt.Sprintf("Load note %d.%d: %s", w.id, w.next(), strings.Join(append([]string{"record"}, tags...), " ")),
		"date":    fmt.Sprintf("2025-%02d-%02d", 1+w.rng.IntN(12), 1+w.rng.IntN(28)),
		"tags":    tags,
		"keyFact": w.rng.IntN(4) == 0,
	}
	if w.rng.IntN(4) == 0 {
		body["documentId"] = k.docs[w.rng.IntN(len(k.docs))]
	}
	cl := call{route: "POST /cases/{caseId}/facts", path: "/cases/" + k.id + "/facts", who: w.members(), want: http.StatusCreated, body: body}
	a, sent := w.write(cl, 4)
	if !sent || !a.ok(cl) {
		return
	}
	var f factJSON
	if err := a.decode(&f); err != nil {
		return
	}
	w.led.ackFact(kindFactCreated, f, "")
	if w.rng.IntN(4) == 0 {
		w.scratch = append(w.scratch, scratchFact{f.ID, k.id})
		return
	}
	k.publish(f.ID, hasTag(f.Tags, "imaging"))
}

// target picks a fact to write to: most often one of the hot facts every caller edits.
func (w *worker) target() (string, *caseInfo) {
	k := w.anyCase()
	if w.rng.IntN(10) < 7 {
		return k.hot[w.rng.IntN(len(k.hot))], k
	}
	return w.fact(k, false), k
}

// editFact reads a fact and changes its text with the version it read: when another caller
// changed it in between, the API refuses with 409, which this race expects.
func (w *worker) editFact() {
	id, k := w.target()
	who := w.staff()
	get := call{route: "GET /facts/{factId}", label: "staff, before an edit", path: "/facts/" + id, who: who, want: http.StatusOK}
	a, sent := w.send(get)
	if !sent || !a.ok(get) {
		return
	}
	var before factJSON
	if err := a.decode(&before); err != nil {
		return
	}
	text := fmt.Sprintf("%s [edit %d.%d]", strings.SplitN(before.Text, " [edit ", 2)[0], w.id, w.next())
	cl := call{route: "PATCH /facts/{factId}", path: "/facts/" + id, who: who, want: http.StatusOK,
		body:   map[string]any{"text": text, "version": before.Version},
		expect: map[int]string{http.StatusConflict: "409 stale version: another caller changed the fact since it was read (deliberate race)"}}
	a, sent = w.write(cl, 1)
	if !sent {
		return
	}
	if outcomeUnknown(a) {
		w.led.unanswered(id, k.id)
		return
	}
	if a.ok(cl) {
		var f factJSON
		if err := a.decode(&f); err == nil {
			w.led.ackFact(kindFactEdited, f, "")
		}
	}
}

func (w *worker) addTag() {
	id, k := w.target()
	tag := extraTags[w.rng.IntN(len(extraTags))]
	cl := call{route: "POST /facts/{factId}/tags", path: "/facts/" + id + "/tags", who: w.staff(), want: http.StatusOK, body: map[string]string{"tag": tag}}
	a, sent := w.write(cl, 4)
	if !sent {
		return
	}
	if outcomeUnknown(a) {
		w.led.unanswered(id, k.id)
		return
	}
	if a.ok(cl) {
		var f factJSON
		if err := a.decode(&f); err == nil {
			w.led.ackFact(kindTagAdded, f, tag)
		}
	}
}

// comment writes a comment as staff on any fact, or as a guest on a fact it sees. A comment
// is written only if the fact is unchanged since the API checked it; when an edit slips in
// between, the API answers 409 and the caller tries again.
func (w *worker) comment() {
	var who *person
	var factID, caseID string
	switch w.rng.IntN(4) {
	case 0:
		who, factID, caseID = w.w.guestCase, w.fact(w.w.caseShared, false), w.w.caseShared.id
	case 1:
		who, factID, caseID = w.w.guestView, w.fact(w.w.viewShared, true), w.w.viewShared.id
	default:
		var k *caseInfo
		factID, k = w.target()
		who, caseID = w.staff(), k.id
	}
	text := fmt.Sprintf("Comment %d.%d by %s.", w.id, w.next(), who.name)
	label := "staff"
	if strings.HasPrefix(who.label, "guest") {
		label = "guest"
	}
	cl := call{route: "POST /facts/{factId}/comments", label: label, path: "/facts/" + factID + "/comments", who: who,
		want: http.StatusCreated, body: map[string]string{"text": text}}
	a, sent := w.write(cl, 4)
	if !sent || !a.ok(cl) {
		return
	}
	var c struct{ ID, Text string }
	if err := a.decode(&c); err == nil {
		w.led.ackComment(commentRecord{caseID: caseID, factID: factID, id: c.ID, text: c.Text})
	}
}

// questions are asked in new chats; none asks the AI to act, so no fact changes behind the
// run's back.
var questions = []string{"What did the MRI show?", "When was the surgery?", "What has been billed so far?",
	"Who witnessed the fall?", "How is the physical therapy going?"}

func (w *worker) chat() {
	who, k := w.staff(), w.anyCase()
	label := "staff"
	if w.rng.IntN(3) == 0 {
		who, k, label = w.w.guestCase, w.w.caseShared, "guest"
	}
	title := fmt.Sprintf("Load chat %d.%d", w.id, w.next())
	cl := call{route: "POST /cases/{caseId}/chats", label: label, path: "/cases/" + k.id + "/chats", who: who, want: http.StatusCreated,
		body: map[string]string{"title": title}}
	a, sent := w.write(cl, 4)
	if !sent || !a.ok(cl) {
		return
	}
	var ch struct{ ID, Title string }
	if err := a.decode(&ch); err != nil {
		return
	}
	w.led.ackChat(k.id, ch.ID, ch.Title)
	q := questions[w.rng.IntN(len(questions))]
	cl = call{route: "POST /chats/{chatId}/messages", label: label, path: "/chats/" + ch.ID + "/messages", who: who, want: http.StatusCreated,
		body: map[string]string{"text": q}}
	a, sent = w.write(cl, 4)
	if !sent || !a.ok(cl) {
		return
	}
	var ex struct{ ID, Question string }
	if err := a.decode(&ex); err == nil {
		w.led.ackMessage(ch.ID, ex.ID, ex.Question)
	}
}

// changeShares takes one step of a changing guest's share: share a case with it (sometimes
// limited to the case's view "Imaging"), then preview and apply a move to the other case or a
// widening to the whole client, then remove it. With no changing guest free, it reads instead.
func (w *worker) changeShares() {
	var g *churnGuest
	select {
	case g = <-w.churn:
	default:
		w.listCaseShares()
		return
	}
	defer func() { w.churn <- g }()
	who := w.staff()
	cases := w.w.churnCases
	switch {
	case g.shareID == "":
		k := cases[w.rng.IntN(len(cases))]
		body := map[string]any{"guestId": g.p.userID, "scope": "case"}
		if w.rng.IntN(2) == 0 {
			body["viewId"] = k.imagingView
		}
		cl := call{route: "POST /cases/{caseId}/shares", path: "/cases/" + k.id + "/shares", who: who, want: http.StatusCreated, body: body}
		a, sent := w.write(cl, 4)
		if !sent || !a.ok(cl) {
			return
		}
		var sh shareJSON
		if err := a.decode(&sh); err != nil {
			return
		}
		g.shareID, g.version, g.caseID = sh.ShareID, sh.Version, k.id
		w.led.ackShare(shareRecord{id: sh.ShareID, guestID: g.p.userID, scope: sh.Scope, caseID: deref(sh.CaseID), version: sh.Version}, false)
		// The guest's very next request sees the case.
		w.send(call{route: "GET /cases/{caseId}", label: "guest, just shared", path: "/cases/" + k.id, who: g.p, want: http.StatusOK})
	case g.version == 1:
		change := map[string]any{"scope": "client"}
		if w.rng.IntN(2) == 0 {
			other := cases[0].id
			if other == g.caseID {
				other = cases[1].id
			}
			change = map[string]any{"scope": "case", "caseId": other}
		}
		preview := call{route: "POST /shares/{shareId}/preview", path: "/shares/" + g.shareID + "/preview", who: who, want: http.StatusOK, body: change}
		a, sent := w.send(preview)
		if !sent || !a.ok(preview) {
			return
		}
		var p struct{ Version int }
		if err := a.decode(&p); err != nil {
			return
		}
		change["version"] = p.Version
		cl := call{route: "PATCH /shares/{shareId}", path: "/shares/" + g.shareID, who: who, want: http.StatusOK, body: change}
		a, sent = w.write(cl, 4)
		if !sent || !a.ok(cl) {
			return
		}
		var sh shareJSON
		if err := a.decode(&sh); err != nil {
			return
		}
		g.version, g.caseID = sh.Version, deref(sh.CaseID)
		w.led.ackShare(shareRecord{id: sh.ShareID, guestID: g.p.userID, scope: sh.Scope, caseID: deref(sh.CaseID), version: sh.Version}, true)
	default:
		cl := call{route: "DELETE /shares/{shareId}", path: "/shares/" + g.shareID, who: who, want: http.StatusNoContent}
		a, sent := w.write(cl, 4)
		if !sent || !a.ok(cl) {
			return
		}
		w.led.ackShareDeleted(g.shareID)
		removed := g.caseID
		if removed == "" {
			removed = cases[w.rng.IntN(len(cases))].id // a client share: any case of the client
		}
		g.shareID, g.version, g.caseID = "", 0, ""
		// Removal is effective on the guest's very next request: not found, as an unknown id.
		w.send(call{route: "GET /cases/{caseId}", label: "guest, just removed", path: "/cases/" + removed, who: g.p, want: http.StatusNotFound})
	}
}

// shareJSON is a share as the API answers it.
type shareJSON struct {
	ShareID string  `json:"shareId"`
	Scope   string  `json:"scope"`
	CaseID  *string `json:"caseId"`
	Version int     `json:"version"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (w *worker) createView() {
	k := w.anyCase()
	name := fmt.Sprintf("Load view %d.%d", w.id, w.next())
	body := map[string]any{"name": name, "filter": map[string]any{"tags": []string{extraTags[w.rng.IntN(len(extraTags))]}},
		"sort": map[string]string{"field": "created", "order": "desc"}}
	cl := call{route: "POST /cases/{caseId}/views", path: "/cases/" + k.id + "/views", who: w.staff(), want: http.StatusCreated, body: body}
	a, sent := w.write(cl, 4)
	if !sent || !a.ok(cl) {
		return
	}
	var v struct{ ID, Name string }
	if err := a.decode(&v); err == nil {
		w.led.ackView(viewRecord{caseID: k.id, id: v.ID, name: v.Name})
		w.views = append(w.views, v.ID)
	}
}

func (w *worker) deleteView() {
	if len(w.views) == 0 {
		w.createView()
		return
	}
	id := w.views[0]
	cl := call{route: "DELETE /views/{viewId}", path: "/views/" + id, who: w.staff(), want: http.StatusNoContent}
	a, sent := w.write(cl, 4)
	if !sent || !a.ok(cl) {
		return
	}
	w.views = w.views[1:]
	w.led.ackViewDeleted(id)
}

// saveSummary reads the case summary and saves a new text with the version it read; when
// another caller saved in between, 409 is the expected answer.
func (w *worker) saveSummary() {
	k, who := w.anyCase(), w.staff()
	get := call{route: "GET /cases/{caseId}/summary", label: "staff, before a save", path: "/cases/" + k.id + "/summary", who: who, want: http.StatusOK}
	a, sent := w.send(get)
	if !sent || !a.ok(get) {
		return
	}
	var sum struct{ Version int }
	if err := a.decode(&sum); err != nil {
		return
	}
	text := fmt.Sprintf("%s: summary revision %d.%d.", k.name, w.id, w.next())
	cl := call{route: "PUT /cases/{caseId}/summary", path: "/cases/" + k.id + "/summary", who: who, want: http.StatusOK,
		body:   map[string]any{"text": text, "version": sum.Version},
		expect: map[int]string{http.StatusConflict: "409 stale version: another caller saved the summary since it was read (deliberate race)"}}
	a, sent = w.write(cl, 1)
	if !sent || !a.ok(cl) {
		return
	}
	var saved struct {
		Version int
		Text    string
	}
	if err := a.decode(&saved); err == nil {
		w.led.ackSummary(k.id, saved.Version, saved.Text)
	}
}

// race sends two writes at the same moment and records both answers; false when the budget
// cannot pay for both.
func (w *worker) race(a, b call) (answer, answer, bool) {
	if !w.b.take() {
		return answer{}, answer{}, false
	}
	if !w.b.take() {
		w.b.used.Add(-1)
		return answer{}, answer{}, false
	}
	a.write, b.write = true, true
	var ra, rb answer
	var wg sync.WaitGroup
	wg.Go(func() { ra = w.c.send(context.Background(), a) })
	wg.Go(func() { rb = w.c.send(context.Background(), b) })
	wg.Wait()
	w.rec.record(a, ra)
	w.rec.record(b, rb)
	won := 0
	for _, x := range []answer{ra, rb} {
		if x.err == nil && x.status == a.want {
			won++
		}
	}
	switch won {
	case 0:
		w.races.none++
	case 1:
		w.races.one++
	default:
		w.races.two++
	}
	return ra, rb, true
}

// raceFactEdits reads a hot fact, then sends two edits with the version it read at once:
// exactly one may win, the other must be refused with 409.
func (w *worker) raceFactEdits() {
	k := w.anyCase()
	id := k.hot[w.rng.IntN(len(k.hot))]
	who := w.staff()
	get := call{route: "GET /facts/{factId}", label: "staff, before a race", path: "/facts/" + id, who: who, want: http.StatusOK}
	a, sent := w.send(get)
	if !sent || !a.ok(get) {
		return
	}
	var before factJSON
	if err := a.decode(&before); err != nil {
		return
	}
	base := strings.SplitN(before.Text, " [edit ", 2)[0]
	mk := func() call {
		return call{route: "PATCH /facts/{factId}", label: "race", path: "/facts/" + id, who: who, want: http.StatusOK,
			body:   map[string]any{"text": fmt.Sprintf("%s [edit %d.%d]", base, w.id, w.next()), "version": before.Version},
			expect: map[int]string{http.StatusConflict: "409: lost a race of two simultaneous edits with one version (deliberate)"}}
	}
	x, y := mk(), mk()
	ra, rb, ok := w.race(x, y)
	if !ok {
		return
	}
	for _, r := range []answer{ra, rb} {
		if outcomeUnknown(r) {
			w.led.unanswered(id, k.id)
		} else if r.status == http.StatusOK {
			var f factJSON
			if err := r.decode(&f); err == nil {
				w.led.ackFact(kindFactEdited, f, "")
			}
		}
	}
}

// raceSummarySaves reads a case summary, then sends two saves with the version it read at
// once: exactly one may win.
func (w *worker) raceSummarySaves() {
	k, who := w.anyCase(), w.staff()
	get := call{route: "GET /cases/{caseId}/summary", label: "staff, before a race", path: "/cases/" + k.id + "/summary", who: who, want: http.StatusOK}
	a, sent := w.send(get)
	if !sent || !a.ok(get) {
		return
	}
	var sum struct{ Version int }
	if err := a.decode(&sum); err != nil {
		return
	}
	mk := func() call {
		return call{route: "PUT /cases/{caseId}/summary", label: "race", path: "/cases/" + k.id + "/summary", who: who, want: http.StatusOK,
			body:   map[string]any{"text": fmt.Sprintf("%s: summary revision %d.%d.", k.name, w.id, w.next()), "version": sum.Version},
			expect: map[int]string{http.StatusConflict: "409: lost a race of two simultaneous saves with one version (deliberate)"}}
	}
	ra, rb, ok := w.race(mk(), mk())
	if !ok {
		return
	}
	for _, r := range []answer{ra, rb} {
		if r.err == nil && r.status == http.StatusOK {
			var saved struct {
				Version int
				Text    string
			}
			if err := r.decode(&saved); err == nil {
				w.led.ackSummary(k.id, saved.Version, saved.Text)
			}
		}
	}
}

func (w *worker) deleteFact() {
	if len(w.scratch) == 0 {
		w.createFact()
		return
	}
	f := w.scratch[0]
	cl := call{route: "DELETE /facts/{factId}", path: "/facts/" + f.id, who: w.members(), want: http.StatusNoContent}
	a, sent := w.write(cl, 4)
	if !sent {
		return
	}
	if outcomeUnknown(a) {
		w.led.unanswered(f.id, f.caseID)
	}
	if !a.ok(cl) {
		return
	}
	w.scratch = w.scratch[1:]
	w.led.ackFactDeleted(f.id, f.caseID)
}
