// Package expiry is the scheduled sweep of shares that end: it warns the guest and the person
// who shared three days before a share ends, and once it has ended removes it, records the
// expiry and tells the guest what they can still open. Access itself never waits for the
// sweep: every check refuses an ended share from the instant it ends (package access); the
// sweep only tidies up, announces and records.
package expiry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// Store is what the sweep reads and writes. Errors carry casescribe codes: ENOTFOUND for a
// share gone, ECONFLICT for one that changed since it was read.
type Store interface {
	// SharesEndingOn lists the shares whose end falls on the UTC day of day (an index that
	// may lag).
	SharesEndingOn(ctx context.Context, day time.Time) ([]casescribe.Share, error)
	GetShare(ctx context.Context, orgID, shareID string) (casescribe.Share, error)
	MarkReminded(ctx context.Context, sh casescribe.Share) error
	UnmarkReminded(ctx context.Context, sh casescribe.Share) error
	// RemoveShare removes the share as read, with its grant entry and counters, recording
	// the expiry in the organization's audit trail (see Recorder).
	RemoveShare(ctx context.Context, sh casescribe.Share) error
}

// Notifier sends the emails (package accessmail).
type Notifier interface {
	Remind(ctx context.Context, sh casescribe.Share) (int, error)
	AccessChanged(ctx context.Context, orgID, guestID string, ev accessmail.Event) (bool, error)
}

// Recorder returns the context under which removing an ended share also records its expiry
// in the audit trail, in the same transaction.
type Recorder func(ctx context.Context, sh casescribe.Share, at time.Time) context.Context

// DefaultLookback is how many days back the sweep looks for ended shares it has not removed
// yet (a sweep that did not run for a while). Shares ended longer ago still open nothing.
const DefaultLookback = 30

// Sweeper runs the sweep.
type Sweeper struct {
	store    Store
	notify   Notifier
	record   Recorder
	now      func() time.Time
	lookback int
	log      *slog.Logger
}

// New returns a Sweeper. notify may be nil (no email configured); record may be nil (no
// audit record).
func New(st Store, notify Notifier, record Recorder, now func() time.Time, log *slog.Logger) *Sweeper {
	return &Sweeper{store: st, notify: notify, record: record, now: now, lookback: DefaultLookback, log: log}
}

// Report is what one sweep did.
type Report struct {
	// Scanned counts the shares with an end found in the days swept.
	Scanned int `json:"scanned"`
	// Reminded counts the shares whose advance warning went out, Expired those removed.
	Reminded int `json:"reminded"`
	Expired  int `json:"expired"`
	// Emails counts the emails sent.
	Emails int `json:"emails"`
	// Failures counts the shares the sweep could not finish; the next sweep tries again.
	Failures int `json:"failures"`
}

// Run sweeps every day from Lookback days ago to the last day a warning can be due. It goes on
// past a share it cannot finish, and returns an error saying how many there were.
func (w *Sweeper) Run(ctx context.Context) (Report, error) {
	now := w.now()
	var rep Report
	var errs []error
	first := now.AddDate(0, 0, -w.lookback)
	last := now.Add(access.ReminderLead)
	for day := first; !dayAfter(day, last); day = day.AddDate(0, 0, 1) {
		shares, err := w.store.SharesEndingOn(ctx, day)
		if err != nil {
			return rep, fmt.Errorf("sweep %s: %w", day.Format(time.DateOnly), err)
		}
		for _, listed := range shares {
			rep.Scanned++
			if err := w.one(ctx, listed, now, &rep); err != nil {
				rep.Failures++
				errs = append(errs, err)
				w.log.LogAttrs(ctx, slog.LevelError, "sweep: share not finished", slog.String("orgId", listed.OrgID),
					slog.String("shareId", listed.ID), slog.String("errorCode", casescribe.ErrorCode(err)))
			}
		}
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, "sweep", slog.Int("scanned", rep.Scanned), slog.Int("reminded", rep.Reminded),
		slog.Int("expired", rep.Expired), slog.Int("emails", rep.Emails), slog.Int("failures", rep.Failures))
	if len(errs) > 0 {
		return rep, fmt.Errorf("sweep: %d shares not finished: %w", len(errs), errors.Join(errs...))
	}
	return rep, nil
}

// dayAfter reports whether a's UTC day is after b's.
func dayAfter(a, b time.Time) bool {
	return a.UTC().Format(time.DateOnly) > b.UTC().Format(time.DateOnly)
}

// one acts on one listed share, read again first: the index may be behind, and the share may
// have changed, been removed or been extended since.
func (w *Sweeper) one(ctx context.Context, listed casescribe.Share, now time.Time, rep *Report) error {
	sh, err := w.store.GetShare(ctx, listed.OrgID, listed.ID)
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case sh.Expired(now):
		return w.expire(ctx, sh, now, rep)
	case access.ReminderDue(sh, now):
		return w.remind(ctx, sh, rep)
	}
	return nil
}

func (w *Sweeper) expire(ctx context.Context, sh casescribe.Share, now time.Time, rep *Report) error {
	rctx := ctx
	if w.record != nil {
		rctx = w.record(ctx, sh, now)
	}
	err := w.store.RemoveShare(rctx, sh)
	switch casescribe.ErrorCode(err) {
	case "":
	case casescribe.ENOTFOUND, casescribe.ECONFLICT:
		return nil // removed or changed meanwhile: the next sweep sees the share as it is
	default:
		return err
	}
	rep.Expired++
	if w.notify == nil {
		return nil
	}
	sent, err := w.notify.AccessChanged(ctx, sh.OrgID, sh.GuestID, accessmail.Ended)
	if sent {
		rep.Emails++
	}
	return err
}

func (w *Sweeper) remind(ctx context.Context, sh casescribe.Share, rep *Report) error {
	if w.notify == nil {
		return nil
	}
	// Claimed first, so that two sweeps at once send it once.
	err := w.store.MarkReminded(ctx, sh)
	if casescribe.ErrorCode(err) == casescribe.ECONFLICT {
		return nil
	}
	if err != nil {
		return err
	}
	sent, err := w.notify.Remind(ctx, sh)
	rep.Emails += sent
	if err != nil && sent == 0 {
		sh.RemindedFor = sh.ExpiresAt
		if undo := w.store.UnmarkReminded(ctx, sh); undo != nil {
			return errors.Join(err, undo)
		}
		return err
	}
	rep.Reminded++
	return err
}
