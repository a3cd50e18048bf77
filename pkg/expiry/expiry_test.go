package expiry

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// These tests hold the sweep's decisions (which days, what to re-read, what to do on a
// failure) to account with an in-memory stand-in for its narrow Store; the sweep against
// DynamoDB Local and SES is TestSweep in pkg/api.

type memStore struct {
	byDay    map[string][]casescribe.Share // the index, as it may lag
	current  map[string]casescribe.Share   // the shares as they are
	days     []string
	removed  []string
	marked   []string
	unmarked []string
	failOn   string // a share id whose removal fails
}

func (m *memStore) SharesEndingOn(_ context.Context, day time.Time) ([]casescribe.Share, error) {
	d := day.UTC().Format(time.DateOnly)
	m.days = append(m.days, d)
	return m.byDay[d], nil
}

func (m *memStore) GetShare(_ context.Context, _, id string) (casescribe.Share, error) {
	sh, ok := m.current[id]
	if !ok {
		return casescribe.Share{}, casescribe.Errorf(casescribe.ENOTFOUND, "Share not found.")
	}
	return sh, nil
}

func (m *memStore) MarkReminded(_ context.Context, sh casescribe.Share) error {
	m.marked = append(m.marked, sh.ID)
	return nil
}

func (m *memStore) UnmarkReminded(_ context.Context, sh casescribe.Share) error {
	m.unmarked = append(m.unmarked, sh.ID)
	return nil
}

func (m *memStore) RemoveShare(_ context.Context, sh casescribe.Share) error {
	if sh.ID == m.failOn {
		return errors.New("store down")
	}
	m.removed = append(m.removed, sh.ID)
	delete(m.current, sh.ID)
	return nil
}

type memNotifier struct {
	remindErr error
	told      []string
}

func (n *memNotifier) Remind(_ context.Context, sh casescribe.Share) (int, error) {
	if n.remindErr != nil {
		return 0, n.remindErr
	}
	n.told = append(n.told, "remind "+sh.ID)
	return 2, nil
}

func (n *memNotifier) AccessChanged(_ context.Context, _, guestID string, ev accessmail.Event) (bool, error) {
	n.told = append(n.told, string(ev)+" "+guestID)
	return true, nil
}

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func sweeper(st *memStore, n *memNotifier) *Sweeper {
	return New(st, n, nil, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestSweepDays(t *testing.T) {
	st := &memStore{byDay: map[string][]casescribe.Share{}, current: map[string]casescribe.Share{}}
	if _, err := sweeper(st, &memNotifier{}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.days) != DefaultLookback+4 || st.days[0] != "2026-11-07" || st.days[len(st.days)-1] != "2026-12-10" {
		t.Errorf("days swept = %d, %s … %s; want %d, 2026-11-07 … 2026-12-10", len(st.days), st.days[0], st.days[len(st.days)-1], DefaultLookback+4)
	}
}

func TestSweepActsOnTheShareAsItIsNow(t *testing.T) {
	end := now.Add(-time.Minute)
	listed := func(id string) casescribe.Share {
		return casescribe.Share{OrgID: "o", ID: id, GuestID: "g-" + id, Version: 1, ExpiresAt: end}
	}
	st := &memStore{
		byDay: map[string][]casescribe.Share{end.Format(time.DateOnly): {
			listed("ended"), listed("extended"), listed("gone"), listed("broken"), listed("soon"),
		}},
		current: map[string]casescribe.Share{
			"ended":    listed("ended"),
			"extended": {OrgID: "o", ID: "extended", Version: 2, ExpiresAt: now.Add(30 * 24 * time.Hour)},
			"broken":   listed("broken"),
			"soon":     {OrgID: "o", ID: "soon", Version: 2, ExpiresAt: now.Add(24 * time.Hour)},
		},
		failOn: "broken",
	}
	n := &memNotifier{}
	rep, err := sweeper(st, n).Run(context.Background())
	if err == nil {
		t.Error("a share the sweep could not remove went unreported")
	}
	want := Report{Scanned: 5, Reminded: 1, Expired: 1, Emails: 3, Failures: 1}
	if rep != want {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	if !slices.Equal(st.removed, []string{"ended"}) || !slices.Equal(st.marked, []string{"soon"}) {
		t.Errorf("removed %v, marked %v; want [ended], [soon] (the extended share is not touched)", st.removed, st.marked)
	}
	if !slices.Equal(n.told, []string{"ended g-ended", "remind soon"}) {
		t.Errorf("told %v", n.told)
	}
}

func TestSweepTakesBackAWarningThatWasNotSent(t *testing.T) {
	soon := casescribe.Share{OrgID: "o", ID: "soon", Version: 1, ExpiresAt: now.Add(time.Hour)}
	st := &memStore{byDay: map[string][]casescribe.Share{soon.ExpiresAt.Format(time.DateOnly): {soon}},
		current: map[string]casescribe.Share{"soon": soon}}
	rep, err := sweeper(st, &memNotifier{remindErr: casescribe.Errorf(casescribe.EMAILFAILED, "SES down")}).Run(context.Background())
	if err == nil || rep.Failures != 1 || rep.Reminded != 0 {
		t.Errorf("report %+v, %v; want one failure", rep, err)
	}
	if !slices.Equal(st.unmarked, []string{"soon"}) {
		t.Errorf("unmarked %v, want [soon]: the next sweep must try again", st.unmarked)
	}
}
