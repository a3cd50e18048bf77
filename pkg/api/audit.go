package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// The audit trail (pkg/audit): handlers build the record of what they change from the caller
// and pass it, in the context, to the one store write that changes it (store.WithAudit), so
// that the change and its entry are one transaction. The helpers below keep each handler's
// part to one argument.

// audited returns r's context carrying the record of action by c, now, on target.
func (s *Server) audited(r *http.Request, c casescribe.Caller, action string, target audit.Target, caseIDs, userIDs []string, before, after json.RawMessage) context.Context {
	return store.WithAudit(r.Context(), audit.Record{OrgID: c.OrgID, Actor: audit.ActorOf(c), At: s.now(),
		Action: action, Target: target, CaseIDs: caseIDs, UserIDs: append(userIDs, c.UserID), Before: before, After: after})
}

// shareAudited returns r's context carrying the record of action by c on sh; caseIDs are other
// cases the action touches.
func (s *Server) shareAudited(r *http.Request, c casescribe.Caller, action string, sh casescribe.Share, caseIDs []string, before, after json.RawMessage) context.Context {
	return store.WithAudit(r.Context(), audit.ShareRecord(action, audit.ActorOf(c), s.now(), sh, caseIDs, before, after))
}

// shareChangeAudited is the record of applying plan to sh: before, the share and the shares
// the change replaces; after, the share as changed.
func (s *Server) shareChangeAudited(r *http.Request, c casescribe.Caller, sh casescribe.Share, replaced []casescribe.Share, after casescribe.Share) context.Context {
	caseIDs := []string{after.CaseID}
	for _, o := range replaced {
		caseIDs = append(caseIDs, o.CaseID)
	}
	return s.shareAudited(r, c, audit.ShareChange, sh, caseIDs, audit.ShareChangeBefore(sh, replaced), audit.ShareState(after))
}

// memberAudited is the record of action by c on the membership m, which becomes after (nil
// for a removal).
func (s *Server) memberAudited(r *http.Request, c casescribe.Caller, action string, m casescribe.Membership, after *casescribe.Membership) context.Context {
	var state json.RawMessage
	if after != nil {
		state = audit.MembershipState(*after)
	}
	return s.audited(r, c, action, audit.Target{Kind: audit.TargetMember, ID: m.UserID}, nil,
		[]string{m.UserID}, audit.MembershipState(m), state)
}

// invitationAudited is the record of action by c on an invitation, from before to after (nil
// when there is none).
func (s *Server) invitationAudited(r *http.Request, c casescribe.Caller, action string, id string, before, after *casescribe.Invitation) context.Context {
	state := func(inv *casescribe.Invitation) json.RawMessage {
		if inv == nil {
			return nil
		}
		return audit.InvitationState(*inv)
	}
	return s.audited(r, c, action, audit.Target{Kind: audit.TargetInvitation, ID: id}, nil, nil, state(before), state(after))
}

// acceptAudited is the record of c accepting inv: c acts in the invitation's organization
// with the role it gives, and becomes an active member.
func (s *Server) acceptAudited(r *http.Request, c casescribe.Caller, inv casescribe.Invitation) context.Context {
	joined := casescribe.Membership{Role: inv.Role, Status: casescribe.StatusActive}
	return store.WithAudit(r.Context(), audit.Record{OrgID: inv.OrgID,
		Actor: audit.Actor{UserID: c.UserID, Name: inv.Name, Role: string(inv.Role)}, At: s.now(),
		Action: audit.InvitationAccept, Target: audit.Target{Kind: audit.TargetInvitation, ID: inv.ID},
		UserIDs: []string{c.UserID}, Before: audit.InvitationState(inv), After: audit.MembershipState(joined)})
}

// exportRecord is the record of a guest's export of facts of a case under a share.
func (s *Server) exportRecord(c casescribe.Caller, caseID, shareID, viewID string, facts int) audit.Record {
	after, _ := json.Marshal(struct {
		ShareID string `json:"shareId"`
		ViewID  string `json:"viewId,omitempty"`
		Facts   int    `json:"facts"`
	}{shareID, viewID, facts})
	return audit.Record{OrgID: c.OrgID, Actor: audit.ActorOf(c), At: s.now(), Action: audit.FactsExport,
		Target: audit.Target{Kind: audit.TargetCase, ID: caseID}, CaseIDs: []string{caseID},
		UserIDs: []string{c.UserID}, After: after}
}

// answerAudited is the record of an AI answer: which chat, how long the question was, which
// facts it cited. Never the question's or the answer's text.
func (s *Server) answerAudited(r *http.Request, c casescribe.Caller, e casescribe.Exchange) context.Context {
	after, _ := json.Marshal(struct {
		ChatID         string   `json:"chatId"`
		ExchangeID     string   `json:"exchangeId"`
		QuestionLength int      `json:"questionLength"`
		CitedFactIDs   []string `json:"citedFactIds"`
	}{e.ChatID, e.ID, len([]rune(e.Question)), append([]string{}, e.Citations...)})
	return s.audited(r, c, audit.AIAnswer, audit.Target{Kind: audit.TargetChat, ID: e.ChatID},
		[]string{e.CaseID}, nil, nil, after)
}

type auditActorJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

type auditTargetJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

type auditEntryJSON struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    auditActorJSON  `json:"actor"`
	Action   string          `json:"action"`
	Target   auditTargetJSON `json:"target"`
	CaseIDs  []string        `json:"caseIds"`
	UserIDs  []string        `json:"userIds"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
	PrevHash string          `json:"prevHash"`
	Hash     string          `json:"hash"`
}

func newAuditEntryJSON(e audit.Entry) auditEntryJSON {
	return auditEntryJSON{Seq: e.Seq, At: e.At.UTC(), Actor: auditActorJSON{ID: e.Actor.UserID, Name: e.Actor.Name, Role: e.Actor.Role},
		Action: e.Action, Target: auditTargetJSON{Kind: e.Target.Kind, ID: e.Target.ID},
		CaseIDs: nonNil(e.CaseIDs), UserIDs: nonNil(e.UserIDs), Before: stateJSON(e.Before), After: stateJSON(e.After),
		PrevHash: e.PrevHash, Hash: e.Hash}
}

// stateJSON is a recorded state as the answer shows it: null for none, and text that is not
// JSON (an entry altered in the table) as a JSON string, so that the list still answers.
func stateJSON(raw json.RawMessage) json.RawMessage {
	switch {
	case len(raw) == 0:
		return json.RawMessage("null")
	case json.Valid(raw):
		return raw
	}
	quoted, _ := json.Marshal(string(raw))
	return quoted
}

// auditFilter reads ?caseId=&userId=&from=&to=.
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{CaseID: q.Get("caseId"), UserID: q.Get("userId")}
	if f.CaseID != "" {
		if _, err := ulid.ParseStrict(f.CaseID); err != nil {
			return f, casescribe.Errorf(casescribe.EINVALID, "Query parameter caseId must be the id of a case.")
		}
	}
	if f.UserID != "" && !store.ValidUserID(f.UserID) {
		return f, casescribe.Errorf(casescribe.EINVALID, "Query parameter userId must be the id of a person.")
	}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, casescribe.Errorf(casescribe.EINVALID, "Query parameter %s must be a time in RFC 3339 form, such as 2026-05-01T09:00:00Z.", p.name)
			}
			*p.to = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, casescribe.Errorf(casescribe.EINVALID, "Query parameter to must not be before from.")
	}
	return f, nil
}

// listAudit answers the organization's audit entries, newest first, filtered by case, person
// and time.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	filter, err := auditFilter(r)
	if err != nil {
		return err
	}
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.store.AuditEntries(r.Context(), c.OrgID, filter, cursor, limit)
	if err != nil {
		return err
	}
	items := make([]auditEntryJSON, 0, len(page.Items))
	for _, e := range page.Items {
		items = append(items, newAuditEntryJSON(e))
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

type auditHeadJSON struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

type auditBreakJSON struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

type auditVerifyJSON struct {
	OK         bool            `json:"ok"`
	Entries    int             `json:"entries"`
	Head       auditHeadJSON   `json:"head"`
	FirstBreak *auditBreakJSON `json:"firstBreak"`
}

// verifyAudit recomputes the organization's whole chain and reports its first break. A break
// is a finding, not a failure of the request: it answers 200 either way.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	entries, head, err := s.store.AuditChain(r.Context(), c.OrgID)
	if err != nil {
		return err
	}
	out := auditVerifyJSON{OK: true, Entries: len(entries), Head: auditHeadJSON{Seq: head.Seq, Hash: head.Hash}}
	if b := audit.Verify(entries, head); b != nil {
		out.OK, out.FirstBreak = false, &auditBreakJSON{Seq: b.Seq, Reason: b.Reason}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
