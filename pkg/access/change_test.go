package access

import (
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

func TestPlanShareChange(t *testing.T) {
	knee := casescribe.Case{ID: "knee", ClientID: "smith", Name: "Knee MRI"}
	back := casescribe.Case{ID: "back", ClientID: "smith", Name: "Back injury"}
	hip := casescribe.Case{ID: "hip", ClientID: "smith", Name: "Hip replacement"}
	car := casescribe.Case{ID: "car", ClientID: "doe", Name: "Car accident"}
	smithCases := []casescribe.Case{knee, back, hip}
	clientShare := casescribe.Share{ID: "s1", Scope: casescribe.ScopeClient, ClientID: "smith", Version: 3}
	kneeShare := casescribe.Share{ID: "s2", Scope: casescribe.ScopeCase, ClientID: "smith", CaseID: "knee", ViewID: "v1", ChatIDs: []string{"c1", "c2"}, Version: 1}
	backShare := casescribe.Share{ID: "s3", Scope: casescribe.ScopeCase, ClientID: "smith", CaseID: "back", ChatIDs: []string{"c3"}, Version: 4}
	in := func(sh casescribe.Share, target *casescribe.Case, guestShares ...casescribe.Share) PlanInput {
		return PlanInput{Share: sh, GuestName: "Jane Doe", ClientName: "Smith, John", ClientCases: smithCases, GuestCaseShares: guestShares, Target: target}
	}
	names := func(ks []casescribe.Case) string {
		s := ""
		for _, k := range ks {
			s += k.ID + " "
		}
		return s
	}
	tests := []struct {
		name                 string
		in                   PlanInput
		change               ShareChange
		kind, gained, lost   string
		views, chats         int
		replaced             int
		summary              string
		wantScope            casescribe.ShareScope
		wantCase, wantClient string
	}{
		{"narrow", in(clientShare, &knee), ShareChange{Scope: casescribe.ScopeCase, CaseID: "knee"},
			ChangeNarrow, "", "back hip ", 0, 0, 0, "Jane Doe will lose access to 2 cases of Smith, John and keep Knee MRI.", casescribe.ScopeCase, "knee", "smith"},
		{"expand replaces the guest's case shares", in(kneeShare, nil, kneeShare, backShare), ShareChange{Scope: casescribe.ScopeClient},
			ChangeExpand, "hip ", "", 1, 3, 1, "Jane Doe will have access to every case of Smith, John, including cases added later: 1 case more now.", casescribe.ScopeClient, "", "smith"},
		{"move within the client", in(kneeShare, &back), ShareChange{Scope: casescribe.ScopeCase, CaseID: "back"},
			ChangeMove, "back ", "knee ", 1, 2, 0, "Jane Doe will lose access to Knee MRI and gain access to Back injury.", casescribe.ScopeCase, "back", "smith"},
		{"move to another client, keeping a chat", in(kneeShare, &car), ShareChange{Scope: casescribe.ScopeCase, CaseID: "car", ChatIDs: []string{"c9"}},
			ChangeMove, "car ", "knee ", 1, 2, 0, "Jane Doe will lose access to Knee MRI and gain access to Car accident.", casescribe.ScopeCase, "car", "doe"},
		{"configure drops the view and a chat", in(kneeShare, &knee), ShareChange{Scope: casescribe.ScopeCase, CaseID: "knee", ChatIDs: []string{"c1"}},
			ChangeConfigure, "", "", 1, 1, 0, "Jane Doe keeps access to Knee MRI, now the whole case, with 1 chat shared.", casescribe.ScopeCase, "knee", "smith"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanShareChange(tt.in, tt.change)
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tt.kind || names(p.Gained) != tt.gained || names(p.Lost) != tt.lost ||
				len(p.DroppedViews) != tt.views || len(p.DroppedChats) != tt.chats || len(p.Replaced) != tt.replaced {
				t.Errorf("plan = %s gained %q lost %q views %v chats %v replaced %d", p.Kind, names(p.Gained), names(p.Lost), p.DroppedViews, p.DroppedChats, len(p.Replaced))
			}
			if p.Summary != tt.summary {
				t.Errorf("summary = %q\nwant      %q", p.Summary, tt.summary)
			}
			r := p.Result
			if r.Scope != tt.wantScope || r.CaseID != tt.wantCase || r.ClientID != tt.wantClient || r.Version != tt.in.Share.Version+1 || r.ID != tt.in.Share.ID {
				t.Errorf("result = %+v", r)
			}
			if r.Scope == casescribe.ScopeClient && (r.ViewID != "" || len(r.ChatIDs) > 0) {
				t.Errorf("a client share keeps a view or chats: %+v", r)
			}
		})
	}

	refused := []struct {
		name   string
		in     PlanInput
		change ShareChange
	}{
		{"client to client", in(clientShare, nil), ShareChange{Scope: casescribe.ScopeClient}},
		{"narrow to another client's case", in(clientShare, &car), ShareChange{Scope: casescribe.ScopeCase, CaseID: "car"}},
		{"client scope with a view", in(kneeShare, nil), ShareChange{Scope: casescribe.ScopeClient, ViewID: "v"}},
		{"client scope naming a case", in(kneeShare, nil), ShareChange{Scope: casescribe.ScopeClient, CaseID: "knee"}},
		{"case scope without a case", in(clientShare, nil), ShareChange{Scope: casescribe.ScopeCase}},
		{"unknown scope", in(clientShare, nil), ShareChange{Scope: "org"}},
		{"configure to the same view and chats", in(kneeShare, &knee), ShareChange{Scope: casescribe.ScopeCase, CaseID: "knee", ViewID: "v1", ChatIDs: []string{"c2", "c1"}}},
	}
	for _, tt := range refused {
		if _, err := PlanShareChange(tt.in, tt.change); casescribe.ErrorCode(err) != casescribe.EINVALID {
			t.Errorf("%s: err = %v, want invalid", tt.name, err)
		}
	}
}
