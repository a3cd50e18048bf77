package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The kinds of acknowledged writes the report counts, in its order.
const (
	kindFactCreated  = "fact created"
	kindFactEdited   = "fact edited (PATCH with version)"
	kindTagAdded     = "tag added"
	kindFactDeleted  = "fact deleted"
	kindComment      = "comment"
	kindChat         = "chat created"
	kindMessage      = "chat message (Ask AI)"
	kindViewCreated  = "view created"
	kindViewDeleted  = "view deleted"
	kindShareCreated = "share created"
	kindShareChanged = "share changed (PATCH with version)"
	kindShareDeleted = "share deleted"
	kindSummarySaved = "summary saved (PUT with version)"
)

var kinds = []string{kindFactCreated, kindFactEdited, kindTagAdded, kindFactDeleted, kindComment, kindChat,
	kindMessage, kindViewCreated, kindViewDeleted, kindShareCreated, kindShareChanged, kindShareDeleted,
	kindSummarySaved}

// factState is a fact as an acknowledged write answered it.
type factState struct {
	text string
	tags []string // as answered: sorted
}

func (s factState) equal(o factState) bool {
	return s.text == o.text && slices.EqualFunc(s.tags, o.tags, strings.EqualFold)
}

// factRecord is everything acknowledged about one fact.
type factRecord struct {
	id, caseID string
	created    bool // its creation is one of the run's writes (not the seed's)
	// acks maps a version to the state an acknowledged write answered at it.
	acks map[int]factState
	// edits and tags count the acknowledged writes of each kind; tags lists the tags added.
	edits int
	tags  []string
	// deleted: the fact's deletion was acknowledged.
	deleted bool
	// uncertain: a write to it got no answer, so a version beyond every acknowledged one is
	// not a mystery.
	uncertain bool
	// clashes are two acknowledged writes that answered different states at one version: one
	// of them is lost whatever is stored.
	clashes []string
}

// storedFact is a fact as read back.
type storedFact struct {
	version int
	text    string
	tags    []string
}

// tally counts acknowledged writes of each kind, how many were found again, and how many lost.
type tally struct {
	acked, verified, lost map[string]int
	// problems says what was found wrong; anomalies counts those that are not a lost write
	// (a change nobody acknowledged, a deleted fact still answering).
	problems  []string
	anomalies int
}

func newTally() *tally {
	return &tally{acked: map[string]int{}, verified: map[string]int{}, lost: map[string]int{}}
}

func (t *tally) ok(kind string, n int) {
	t.acked[kind] += n
	t.verified[kind] += n
}

func (t *tally) lose(kind string, n int, format string, args ...any) {
	t.acked[kind] += n
	t.lost[kind] += n
	t.problems = append(t.problems, fmt.Sprintf(format, args...))
}

func (t *tally) anomaly(format string, args ...any) {
	t.anomalies++
	t.problems = append(t.problems, fmt.Sprintf(format, args...))
}

func (t *tally) total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// checkFact compares what was acknowledged about a fact with what is stored (nil: absent).
//
// A created fact must exist unless its deletion was acknowledged, and then must be gone.
// Every acknowledged versioned write must be reflected: the stored version is at least the
// highest acknowledged one, and at that version the stored text and tags are what that write
// answered. A stored version above every acknowledged one is a change nobody was told about,
// allowed only when a write to the fact got no answer. Every acknowledged tag is still there
// (the run never removes one).
func checkFact(r *factRecord, s *storedFact, t *tally) {
	if r.deleted {
		if s != nil {
			t.lose(kindFactDeleted, 1, "fact %s: deletion acknowledged, but it is still there (version %d)", r.id, s.version)
		} else {
			t.ok(kindFactDeleted, 1)
		}
		if r.created {
			t.ok(kindFactCreated, 1) // created, then deleted as acknowledged
		}
		t.ok(kindFactEdited, r.edits)
		t.ok(kindTagAdded, len(r.tags))
		return
	}
	if s == nil {
		if r.created {
			t.lose(kindFactCreated, 1, "fact %s (case %s): creation acknowledged, not found", r.id, r.caseID)
		}
		if r.edits > 0 {
			t.lose(kindFactEdited, r.edits, "fact %s: %d acknowledged edits, the fact is gone", r.id, r.edits)
		}
		if len(r.tags) > 0 {
			t.lose(kindTagAdded, len(r.tags), "fact %s: %d acknowledged tags, the fact is gone", r.id, len(r.tags))
		}
		return
	}
	if r.created {
		t.ok(kindFactCreated, 1)
	}
	top := 0
	for v := range r.acks {
		top = max(top, v)
	}
	editsOK := true
	switch {
	case s.version < top:
		editsOK = false
		t.lose(kindFactEdited, max(r.edits, 1), "fact %s: version %d acknowledged, version %d stored", r.id, top, s.version)
	case s.version == top:
		if want := r.acks[top]; !want.equal(factState{text: s.text, tags: s.tags}) {
			editsOK = false
			t.lose(kindFactEdited, 1, "fact %s: at version %d the acknowledged write answered %q %v, the store holds %q %v",
				r.id, top, want.text, want.tags, s.text, s.tags)
			t.ok(kindFactEdited, max(r.edits-1, 0))
		}
	case !r.uncertain:
		t.anomaly("fact %s: version %d stored, above every acknowledged one (%d), with no unanswered write", r.id, s.version, top)
	}
	for _, c := range r.clashes {
		editsOK = false
		t.lose(kindFactEdited, 1, "fact %s: %s", r.id, c)
	}
	if editsOK {
		t.ok(kindFactEdited, r.edits)
	}
	for _, tag := range r.tags {
		if slices.ContainsFunc(s.tags, func(have string) bool { return strings.EqualFold(have, tag) }) {
			t.ok(kindTagAdded, 1)
		} else {
			t.lose(kindTagAdded, 1, "fact %s: tag %q acknowledged, stored tags %v", r.id, tag, s.tags)
		}
	}
}

// versioned is a record written with optimistic concurrency (a summary): the text each
// acknowledged version answered.
type versioned struct {
	acks    map[int]string
	clashes []string
}

// checkVersioned compares a versioned record's acknowledgements with what is stored: the
// stored version is at least the highest acknowledged, and holds its text if equal.
func checkVersioned(name string, r *versioned, version int, text string, t *tally, kind string) {
	top := 0
	n := 0
	for v := range r.acks {
		top = max(top, v)
		n++
	}
	lost := len(r.clashes)
	for _, c := range r.clashes {
		t.problems = append(t.problems, name+": "+c)
	}
	switch {
	case version < top:
		t.lose(kind, n, "%s: version %d acknowledged, version %d stored", name, top, version)
		return
	case version == top && r.acks[top] != text:
		lost++
		t.problems = append(t.problems, fmt.Sprintf("%s: version %d acknowledged with %q, stored %q", name, top, truncate(r.acks[top], 60), truncate(text, 60)))
	}
	lost = min(lost, n)
	t.acked[kind] += n
	t.lost[kind] += lost
	t.verified[kind] += n - lost
}

// comment, chat, view and share records.
type commentRecord struct{ caseID, factID, id, text string }

type chatRecord struct {
	caseID, id, title string
	// questions maps the ids of acknowledged exchanges to their questions.
	questions map[string]string
}

type viewRecord struct {
	caseID, id, name string
	deleted          bool
}

type shareRecord struct {
	id, guestID   string
	scope, caseID string
	version       int
	changes       int
	deleted       bool
}

// ledger is every write the API acknowledged during the run, shared by the callers.
type ledger struct {
	mu        sync.Mutex
	facts     map[string]*factRecord
	comments  []commentRecord
	chats     map[string]*chatRecord
	views     map[string]*viewRecord
	shares    map[string]*shareRecord
	summaries map[string]*versioned // by case
}

func newLedger() *ledger {
	return &ledger{facts: map[string]*factRecord{}, chats: map[string]*chatRecord{}, views: map[string]*viewRecord{},
		shares: map[string]*shareRecord{}, summaries: map[string]*versioned{}}
}

// factJSON is a fact as the API answers it.
type factJSON struct {
	ID      string   `json:"id"`
	CaseID  string   `json:"caseId"`
	Text    string   `json:"text"`
	Tags    []string `json:"tags"`
	KeyFact bool     `json:"keyFact"`
	Version int      `json:"version"`
}

func (l *ledger) fact(id, caseID string) *factRecord {
	r := l.facts[id]
	if r == nil {
		r = &factRecord{id: id, caseID: caseID, acks: map[int]factState{}}
		l.facts[id] = r
	}
	return r
}

// ackFact records a fact as a write answered it; kind says which write.
func (l *ledger) ackFact(kind string, f factJSON, tag string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.fact(f.ID, f.CaseID)
	state := factState{text: f.Text, tags: slices.Clone(f.Tags)}
	if prev, ok := r.acks[f.Version]; ok && !prev.equal(state) {
		r.clashes = append(r.clashes, fmt.Sprintf("two acknowledged writes answered version %d: %q %v and %q %v",
			f.Version, prev.text, prev.tags, state.text, state.tags))
	}
	r.acks[f.Version] = state
	switch kind {
	case kindFactCreated:
		r.created = true
	case kindFactEdited:
		r.edits++
	case kindTagAdded:
		r.tags = append(r.tags, tag)
	}
}

// knowFact records a seeded fact, so that its later writes are checked against its start.
func (l *ledger) knowFact(f factJSON) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.fact(f.ID, f.CaseID)
	r.acks[f.Version] = factState{text: f.Text, tags: slices.Clone(f.Tags)}
}

func (l *ledger) ackFactDeleted(id, caseID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fact(id, caseID).deleted = true
}

// unanswered notes that a write to a fact got no answer.
func (l *ledger) unanswered(id, caseID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fact(id, caseID).uncertain = true
}

func (l *ledger) ackComment(c commentRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.comments = append(l.comments, c)
}

func (l *ledger) ackChat(caseID, id, title string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.chats[id] = &chatRecord{caseID: caseID, id: id, title: title, questions: map[string]string{}}
}

func (l *ledger) ackMessage(chatID, exchangeID, question string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch := l.chats[chatID]; ch != nil {
		ch.questions[exchangeID] = question
	}
}

func (l *ledger) ackView(v viewRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.views[v.id] = &v
}

func (l *ledger) ackViewDeleted(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v := l.views[id]; v != nil {
		v.deleted = true
	}
}

// ackShare records a share as its creation or change answered it.
func (l *ledger) ackShare(sh shareRecord, changed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.shares[sh.id]
	if r == nil {
		r = &shareRecord{id: sh.id, guestID: sh.guestID}
		l.shares[sh.id] = r
	}
	r.scope, r.caseID, r.version = sh.scope, sh.caseID, sh.version
	if changed {
		r.changes++
	}
}

func (l *ledger) ackShareDeleted(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.shares[id]; r != nil {
		r.deleted = true
	}
}

func (l *ledger) ackSummary(caseID string, version int, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.summaries[caseID]
	if r == nil {
		r = &versioned{acks: map[int]string{}}
		l.summaries[caseID] = r
	}
	if prev, ok := r.acks[version]; ok && prev != text {
		r.clashes = append(r.clashes, fmt.Sprintf("two acknowledged saves answered version %d", version))
	}
	r.acks[version] = text
}
