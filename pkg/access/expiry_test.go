package access

import (
	"strings"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

var noon = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestShareExpiredAtExactlyItsEnd(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Time
		now     time.Time
		want    bool
	}{
		{"no end", time.Time{}, noon, false},
		{"a nanosecond before", noon, noon.Add(-time.Nanosecond), false},
		{"exactly at its end", noon, noon, true},
		{"after its end", noon, noon.Add(time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := casescribe.Share{ID: "s", ExpiresAt: tt.expires}
			if got := sh.Expired(tt.now); got != tt.want {
				t.Errorf("Expired(%v) = %v, want %v", tt.now, got, tt.want)
			}
			if got := len(CurrentShares([]casescribe.Share{sh}, tt.now)) == 0; got != tt.want {
				t.Errorf("CurrentShares dropped it = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCurrentGrantsDropEndedShares(t *testing.T) {
	knee := casescribe.Case{OrgID: "o", ID: "knee", ClientID: "smith"}
	back := casescribe.Case{OrgID: "o", ID: "back", ClientID: "smith"}
	car := casescribe.Case{OrgID: "o", ID: "car", ClientID: "doe"}
	guest := casescribe.Caller{UserID: "g", OrgID: "o", Role: casescribe.RoleGuest}
	stored := []casescribe.Grant{
		{ClientID: "smith", Cases: map[string]casescribe.CaseGrant{
			"knee": {ShareID: "s1", ExpiresAt: noon},
			"back": {ShareID: "s2", ExpiresAt: noon.Add(time.Hour)},
		}},
		{ClientID: "doe", ClientShareID: "s3", ClientShareExpiresAt: noon, Cases: map[string]casescribe.CaseGrant{}},
	}
	before := GrantsOf(CurrentGrants(stored, noon.Add(-time.Nanosecond))...)
	for _, k := range []casescribe.Case{knee, back, car} {
		if !SeesCase(guest, k, before) {
			t.Errorf("before the end: guest does not see %s", k.ID)
		}
	}
	at := CurrentGrants(stored, noon)
	if len(at) != 1 || at[0].ClientID != "smith" {
		t.Fatalf("CurrentGrants at the end = %+v, want only smith's grant (doe's client share ended)", at)
	}
	g := GrantsOf(at...)
	if SeesCase(guest, knee, g) || SeesCase(guest, car, g) || !SeesCase(guest, back, g) {
		t.Errorf("at the end: sees knee %v, car %v, back %v; want false, false, true",
			SeesCase(guest, knee, g), SeesCase(guest, car, g), SeesCase(guest, back, g))
	}
	if SeesClient(guest, casescribe.Client{OrgID: "o", ID: "doe"}, g) {
		t.Error("at the end: the client of an ended client share is still visible")
	}
	if stored[0].Cases["knee"].ShareID != "s1" {
		t.Error("Current changed the grant it was given")
	}
}

func TestCheckExpiry(t *testing.T) {
	for _, tt := range []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"none", time.Time{}, true},
		{"now", noon, false},
		{"past", noon.Add(-time.Hour), false},
		{"tomorrow", noon.Add(24 * time.Hour), true},
		{"too far", noon.Add(MaxShareLifetime + time.Second), false},
	} {
		if err := CheckExpiry(tt.at, noon); (err == nil) != tt.ok {
			t.Errorf("%s: CheckExpiry = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestReminderDue(t *testing.T) {
	end := noon.Add(ReminderLead)
	sh := casescribe.Share{ExpiresAt: end}
	if !ReminderDue(sh, noon) {
		t.Error("not due exactly three days ahead")
	}
	if ReminderDue(sh, noon.Add(-time.Second)) {
		t.Error("due more than three days ahead")
	}
	sh.RemindedFor = end
	if ReminderDue(sh, noon) {
		t.Error("due again for the same end")
	}
	sh.ExpiresAt = end.Add(time.Hour)
	if ReminderDue(sh, noon) {
		t.Error("due for a moved end more than three days ahead")
	}
	if !ReminderDue(sh, noon.Add(time.Hour)) {
		t.Error("not due for a moved end once it is three days ahead")
	}
	if ReminderDue(casescribe.Share{ExpiresAt: noon}, noon) || ReminderDue(casescribe.Share{}, noon) {
		t.Error("due for an ended share, or one without an end")
	}
}

func TestPlanExpiryChange(t *testing.T) {
	knee := casescribe.Case{ID: "knee", ClientID: "smith", Name: "Knee MRI"}
	end := time.Date(2027, 1, 15, 17, 0, 0, 0, time.UTC)
	caseShare := casescribe.Share{ID: "s2", Scope: casescribe.ScopeCase, ClientID: "smith", CaseID: "knee", Version: 1}
	clientShare := casescribe.Share{ID: "s1", Scope: casescribe.ScopeClient, ClientID: "smith", Version: 1, ExpiresAt: end}
	in := func(sh casescribe.Share, target *casescribe.Case) PlanInput {
		return PlanInput{Share: sh, GuestName: "Jane Doe", ClientName: "Smith, John", ClientCases: []casescribe.Case{knee}, Target: target}
	}
	tests := []struct {
		name    string
		in      PlanInput
		change  ShareChange
		kind    string
		summary string
	}{
		{"set an end on a case share", in(caseShare, &knee), ShareChange{Scope: casescribe.ScopeCase, CaseID: "knee", ExpiresAt: end},
			ChangeExpiry, "Jane Doe keeps access to Knee MRI as it is. Access will end on 15 January 2027 at 17:00 UTC."},
		{"lift the end of a client share", in(clientShare, nil), ShareChange{Scope: casescribe.ScopeClient},
			ChangeExpiry, "Jane Doe keeps access to every case of Smith, John. Access will no longer end on 15 January 2027 at 17:00 UTC."},
		{"move the end", in(clientShare, nil), ShareChange{Scope: casescribe.ScopeClient, ExpiresAt: end.Add(24 * time.Hour)},
			ChangeExpiry, "Jane Doe keeps access to every case of Smith, John. Access will end on 16 January 2027 at 17:00 UTC instead of 15 January 2027 at 17:00 UTC."},
		{"narrow keeping the end", in(clientShare, &knee), ShareChange{Scope: casescribe.ScopeCase, CaseID: "knee", ExpiresAt: end},
			ChangeNarrow, "Access still ends on 15 January 2027 at 17:00 UTC."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanShareChange(tt.in, tt.change)
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tt.kind || !strings.HasSuffix(p.Summary, tt.summary) {
				t.Errorf("plan = %s %q, want %s ending %q", p.Kind, p.Summary, tt.kind, tt.summary)
			}
			if !p.Result.ExpiresAt.Equal(tt.change.ExpiresAt) {
				t.Errorf("result ends %v, want %v", p.Result.ExpiresAt, tt.change.ExpiresAt)
			}
		})
	}
	if _, err := PlanShareChange(in(clientShare, nil), ShareChange{Scope: casescribe.ScopeClient, ExpiresAt: end}); casescribe.ErrorCode(err) != casescribe.EINVALID {
		t.Errorf("the same end again: %v, want invalid (nothing to change)", err)
	}
}

func TestRefsOf(t *testing.T) {
	r := RefsOf([]casescribe.Grant{
		{ClientID: "smith", ClientShareID: "s1", Cases: map[string]casescribe.CaseGrant{}},
		{ClientID: "doe", Cases: map[string]casescribe.CaseGrant{"car": {ShareID: "s2", ViewID: "v1"}}},
	})
	if strings.Join(r.ClientIDs, " ") != "smith doe" || strings.Join(r.ShareIDs, " ") != "s1 s2" ||
		strings.Join(r.CaseIDs, " ") != "car" || r.Views["v1"] != "car" || len(r.Views) != 1 {
		t.Errorf("RefsOf = %+v", r)
	}
}
