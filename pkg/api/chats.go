package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// MaxQuestion bounds a question to Ask AI, in characters.
const MaxQuestion = 4000

type chatJSON struct {
	ID        string     `json:"id"`
	CaseID    string     `json:"caseId"`
	Title     string     `json:"title"`
	CreatedBy personJSON `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
	// Shared says the chat is listed on a share: on the guest's own (for a guest), on any
	// guest's (for staff, who see SharedWith too), so that a member asking in it knows guests
	// read the questions.
	Shared bool `json:"shared"`
	// SharedWith counts the guests whose shares list the chat, for staff.
	SharedWith *int `json:"sharedWith,omitempty"`
}

// newChatJSON answers a chat; shares are the case's client's shares, read for staff only.
func newChatJSON(ch casescribe.Chat, sc access.Scope, g access.Grants, shares []casescribe.Share) chatJSON {
	j := chatJSON{ID: ch.ID, CaseID: ch.CaseID, Title: ch.Title,
		CreatedBy: personJSON{ID: ch.CreatedBy, Name: ch.CreatedByName}, CreatedAt: ch.CreatedAt}
	if sc.Guest {
		j.Shared = slices.Contains(g[ch.ClientID].Cases[ch.CaseID].ChatIDs, ch.ID)
		return j
	}
	n := 0
	for _, sh := range shares {
		if sh.Scope == casescribe.ScopeCase && sh.CaseID == ch.CaseID && slices.Contains(sh.ChatIDs, ch.ID) {
			n++
		}
	}
	j.Shared, j.SharedWith = n > 0, &n
	return j
}

type actionJSON struct {
	Kind    string   `json:"kind"`
	Status  string   `json:"status"`
	Detail  string   `json:"detail"`
	FactIDs []string `json:"factIds"`
	Tag     *string  `json:"tag"`
}

type exchangeJSON struct {
	ID        string       `json:"id"`
	Question  string       `json:"question"`
	AskedBy   personJSON   `json:"askedBy"`
	Answer    string       `json:"answer"`
	Citations []string     `json:"citations"`
	Actions   []actionJSON `json:"actions"`
	// Redacted says the answer is hidden from the caller: it drew on more than the caller sees.
	Redacted  bool      `json:"redacted"`
	CreatedAt time.Time `json:"createdAt"`
}

func newExchangeJSON(e casescribe.Exchange, redacted bool) exchangeJSON {
	j := exchangeJSON{ID: e.ID, Question: e.Question, AskedBy: personJSON{ID: e.AuthorID, Name: e.AuthorName},
		Answer: e.Answer, Citations: e.Citations, Actions: []actionJSON{}, Redacted: redacted, CreatedAt: e.CreatedAt}
	if j.Citations == nil {
		j.Citations = []string{}
	}
	for _, a := range e.Actions {
		aj := actionJSON{Kind: a.Kind, Status: a.Status, Detail: a.Detail, FactIDs: a.FactIDs, Tag: optional(a.Tag)}
		if aj.FactIDs == nil {
			aj.FactIDs = []string{}
		}
		j.Actions = append(j.Actions, aj)
	}
	return j
}

type chatDetailJSON struct {
	chatJSON
	Exchanges []exchangeJSON `json:"exchanges"`
}

type chatBody struct {
	Title string `json:"title"`
}

func (s *Server) createChat(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body chatBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	title := "New chat"
	if strings.TrimSpace(body.Title) != "" {
		t, err := validName("title", body.Title)
		if err != nil {
			return err
		}
		title = t
	}
	cc, err := s.pathCase(r, c, contentLoad{})
	if err != nil {
		return err
	}
	ch := casescribe.Chat{OrgID: c.OrgID, CaseID: cc.k.ID, ClientID: cc.k.ClientID, ID: s.newID(), Title: title,
		CreatedBy: c.UserID, CreatedByName: displayName(c), CreatedAt: s.now()}
	if err := s.store.CreateChat(r.Context(), ch); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newChatJSON(ch, cc.scope, cc.grants, nil))
	return nil
}

// listChats answers the chats of a case the caller may open: all of them for staff; for a
// guest, those its share lists and those it started.
func (s *Server) listChats(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return err
	}
	var chats []casescribe.Chat
	cc, err := s.openCase(r, c, contentLoad{caseID: id, notFound: "Case not found.", extra: func(ctx context.Context) error {
		var err error
		chats, err = s.store.CaseChats(ctx, c.OrgID, id)
		return err
	}})
	if err != nil {
		return err
	}
	var shares []casescribe.Share
	if !cc.scope.Guest {
		if shares, err = s.currentShares(s.store.ClientShares(r.Context(), c.OrgID, cc.k.ClientID)); err != nil {
			return err
		}
	}
	items := []chatJSON{}
	for _, ch := range chats {
		if access.SeesChat(c, cc.scope, ch, cc.grants) {
			items = append(items, newChatJSON(ch, cc.scope, cc.grants, shares))
		}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
	return nil
}

// openChat reads the chat of the path with its case's facts and its exchanges (and, for
// staff, the client's shares, to say who the chat is shared with), all in the round trip after
// the ref; it answers ENOTFOUND, as for an unknown id, when the caller may not open it.
func (s *Server) openChat(r *http.Request, c casescribe.Caller) (casescribe.Chat, []casescribe.Exchange, []casescribe.Share, caseContent, error) {
	var (
		ch        casescribe.Chat
		exchanges []casescribe.Exchange
		shares    []casescribe.Share
	)
	cc, _, err := s.pathItem(r, c, store.KindChat, "chatId", contentLoad{facts: true}, func(ctx context.Context, ref store.Ref) error {
		var (
			errEx, errSh error
			wg           sync.WaitGroup
		)
		wg.Go(func() { exchanges, errEx = s.store.ChatExchanges(ctx, c.OrgID, ref.CaseID, ref.ID) })
		if c.Role.Staff() {
			wg.Go(func() { shares, errSh = s.currentShares(s.store.ClientShares(ctx, c.OrgID, ref.ClientID)) })
		}
		var err error
		ch, err = s.store.GetChat(ctx, c.OrgID, ref.CaseID, ref.ID)
		wg.Wait()
		return errors.Join(err, errEx, errSh)
	})
	if err != nil {
		return casescribe.Chat{}, nil, nil, caseContent{}, err
	}
	if !access.SeesChat(c, cc.scope, ch, cc.grants) {
		return casescribe.Chat{}, nil, nil, caseContent{}, casescribe.Errorf(casescribe.ENOTFOUND, "Chat not found.")
	}
	return ch, exchanges, shares, cc, nil
}

// visibleFacts returns the facts of the case the caller sees now, and their ids.
func visibleFacts(cc caseContent) ([]casescribe.Fact, map[string]bool) {
	facts := cc.scope.Select(cc.facts, casescribe.FactFilter{}, casescribe.FactSort{})
	ids := make(map[string]bool, len(facts))
	for _, f := range facts {
		ids[f.ID] = true
	}
	return facts, ids
}

func (s *Server) getChat(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	ch, exchanges, shares, cc, err := s.openChat(r, c)
	if err != nil {
		return err
	}
	_, visible := visibleFacts(cc)
	out := chatDetailJSON{chatJSON: newChatJSON(ch, cc.scope, cc.grants, shares), Exchanges: []exchangeJSON{}}
	for _, e := range exchanges {
		shown, redacted := cc.scope.ShowExchange(e, visible)
		out.Exchanges = append(out.Exchanges, newExchangeJSON(shown, redacted))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type messageBody struct {
	Text string `json:"text"`
}

// postChatMessage asks the AI a question in a chat. The answer draws only on the facts the
// caller sees at this moment (scope re-checked now, not when the chat began), its citations
// are kept only within them, and the actions it proposes are carried out with the caller's
// own permissions: refused for a guest, done and recorded for staff, in the one transaction
// that records the exchange.
func (s *Server) postChatMessage(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body messageBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	text, err := validText("text", body.Text, MaxQuestion)
	if err != nil {
		return err
	}
	ch, exchanges, _, cc, err := s.openChat(r, c)
	if err != nil {
		return err
	}
	facts, visible := visibleFacts(cc)
	q := ai.Question{Text: text, Facts: facts, CanAct: access.Permit(c, access.CreateFact) == nil}
	for _, e := range exchanges {
		shown, _ := cc.scope.ShowExchange(e, visible)
		q.History = append(q.History, ai.Turn{Question: shown.Question, Answer: shown.Answer})
	}
	answer, err := s.ai.Answer(r.Context(), q)
	if err != nil {
		return fmt.Errorf("ask AI: %w", err)
	}
	now := s.now()
	e := casescribe.Exchange{OrgID: c.OrgID, CaseID: ch.CaseID, ChatID: ch.ID, ID: s.newID(), Question: text,
		AuthorID: c.UserID, AuthorName: displayName(c), Answer: answer.Text, AnsweredIn: cc.scope.AnsweredIn(), CreatedAt: now}
	for _, id := range answer.Citations {
		if visible[id] && !slices.Contains(e.Citations, id) {
			e.Citations = append(e.Citations, id) // never a citation outside the asker's scope
		}
	}
	created, tagged := s.carryOut(c, cc, visible, answer.Actions, &e, now)
	if err := s.store.RecordExchange(s.answerAudited(r, c, e), e, cc.k.ClientID, created, tagged, now); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newExchangeJSON(e, false))
	return nil
}

// carryOut decides each proposed action with the caller's own permissions, records what
// became of it on e, and returns the facts to create and the tags to apply.
func (s *Server) carryOut(c casescribe.Caller, cc caseContent, visible map[string]bool, actions []ai.Action, e *casescribe.Exchange, now time.Time) ([]casescribe.Fact, []store.FactEdit) {
	var created []casescribe.Fact
	var tagged []store.FactEdit
	byID := map[string]casescribe.Fact{}
	for _, f := range cc.facts {
		byID[f.ID] = f
	}
	for _, a := range actions {
		rec := casescribe.ActionRecord{Kind: string(a.Kind), Status: casescribe.ActionDone}
		action := access.CreateFact
		if a.Kind == ai.ApplyTag {
			action = access.TagFact
		}
		if err := access.Permit(c, action); err != nil {
			rec.Status, rec.Detail = casescribe.ActionRefused, casescribe.ErrorMessage(err)
			e.Actions = append(e.Actions, rec)
			continue
		}
		switch a.Kind {
		case ai.CreateFact:
			f := casescribe.Fact{OrgID: c.OrgID, CaseID: cc.k.ID, ClientID: cc.k.ClientID, ID: s.newID(),
				CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
			text, err := validFactText(a.Text)
			if err == nil && a.Date != "" {
				err = validDate("date", a.Date)
			}
			if err != nil {
				rec.Status, rec.Detail = casescribe.ActionInvalid, casescribe.ErrorMessage(err)
				break
			}
			f.Text, f.Date = text, a.Date
			created = append(created, f)
			rec.FactIDs, rec.Detail = []string{f.ID}, "Created the fact."
		case ai.ApplyTag:
			tag, err := validTag(a.Tag)
			if err != nil {
				rec.Status, rec.Detail = casescribe.ActionInvalid, casescribe.ErrorMessage(err)
				break
			}
			rec.Tag = tag
			for _, id := range a.FactIDs {
				f, ok := byID[id]
				if !ok || !visible[id] || slices.ContainsFunc(tagged, func(fe store.FactEdit) bool { return fe.ID == id }) {
					continue
				}
				if !slices.ContainsFunc(f.Tags, func(t string) bool { return strings.EqualFold(t, tag) }) {
					if len(f.Tags) >= store.MaxTags {
						continue
					}
					tagged = append(tagged, store.FactEdit{ID: id, Version: f.Version, Add: []string{tag}})
				}
				rec.FactIDs = append(rec.FactIDs, id)
			}
			rec.Detail = fmt.Sprintf("Tagged %d facts.", len(rec.FactIDs))
		default:
			rec.Status, rec.Detail = casescribe.ActionInvalid, "Unknown action."
		}
		e.Actions = append(e.Actions, rec)
	}
	return created, tagged
}

type retagJSON struct {
	Updated     int              `json:"updated"`
	Suggestions []suggestionJSON `json:"suggestions"`
}

type suggestionJSON struct {
	FactID string   `json:"factId"`
	Tags   []string `json:"tags"`
}

// retagFacts re-runs AI tagging over the case's facts: the tags the provider suggests are
// added (never removed), each fact at the version it was read.
func (s *Server) retagFacts(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cc, err := s.pathCase(r, c, contentLoad{facts: true})
	if err != nil {
		return err
	}
	suggestions, err := s.ai.SuggestTags(r.Context(), cc.facts)
	if err != nil {
		return fmt.Errorf("AI tagging: %w", err)
	}
	byID := map[string]casescribe.Fact{}
	for _, f := range cc.facts {
		byID[f.ID] = f
	}
	out := retagJSON{Suggestions: []suggestionJSON{}}
	var edits []store.FactEdit
	for _, sg := range suggestions {
		f, ok := byID[sg.FactID]
		if !ok {
			continue
		}
		fe := store.FactEdit{ID: f.ID, Version: f.Version}
		for _, t := range sg.Tags {
			t, err := validTag(t)
			if err != nil || len(f.Tags)+len(fe.Add) >= store.MaxTags ||
				slices.ContainsFunc(append(slices.Clone(f.Tags), fe.Add...), func(h string) bool { return strings.EqualFold(h, t) }) {
				continue
			}
			fe.Add = append(fe.Add, t)
		}
		if len(fe.Add) > 0 {
			edits = append(edits, fe)
			out.Suggestions = append(out.Suggestions, suggestionJSON{FactID: f.ID, Tags: fe.Add})
		}
	}
	out.Updated, err = s.store.ApplyFactEdits(r.Context(), c.OrgID, cc.k.ID, edits, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type groupJSON struct {
	Name    string   `json:"name"`
	FactIDs []string `json:"factIds"`
}

type regroupJSON struct {
	Updated int         `json:"updated"`
	Groups  []groupJSON `json:"groups"`
}

// regroupFacts re-runs AI grouping: every fact of the case gets the group the provider puts
// it in (none if it puts it nowhere), each fact at the version it was read.
func (s *Server) regroupFacts(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cc, err := s.pathCase(r, c, contentLoad{facts: true})
	if err != nil {
		return err
	}
	groups, err := s.ai.Group(r.Context(), cc.facts)
	if err != nil {
		return fmt.Errorf("AI grouping: %w", err)
	}
	groupOf := map[string]string{}
	out := regroupJSON{Groups: []groupJSON{}}
	for _, g := range groups {
		name, err := validName("group", g.Name)
		if err != nil {
			continue
		}
		gj := groupJSON{Name: name, FactIDs: []string{}}
		for _, id := range g.FactIDs {
			if _, taken := groupOf[id]; !taken && slices.ContainsFunc(cc.facts, func(f casescribe.Fact) bool { return f.ID == id }) {
				groupOf[id] = name
				gj.FactIDs = append(gj.FactIDs, id)
			}
		}
		if len(gj.FactIDs) > 0 {
			out.Groups = append(out.Groups, gj)
		}
	}
	var edits []store.FactEdit
	for _, f := range cc.facts {
		if g := groupOf[f.ID]; g != f.Group {
			edits = append(edits, store.FactEdit{ID: f.ID, Version: f.Version, Group: &g})
		}
	}
	out.Updated, err = s.store.ApplyFactEdits(r.Context(), c.OrgID, cc.k.ID, edits, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
