package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// addGuest makes u an active guest of the organization, as an accepted invitation does.
func (p *inProcess) addGuest(ctx context.Context, orgID, orgName string, u casescribe.User) error {
	m := casescribe.Membership{OrgID: orgID, OrgName: orgName, UserID: u.ID, Email: u.Email, Name: u.Name,
		Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: time.Now().UTC()}
	if err := p.seed.PutMembership(ctx, m); err != nil {
		return fmt.Errorf("seed guest %s of %s: %w", u.Email, orgName, err)
	}
	return nil
}

// share gives guest a share through the store (store.CreateShare), so that the guest's grant
// and the counters of the membership, the case or the client are written with it, as the
// route writes them. caseID is "" for a client share. It returns the share's id.
func (p *inProcess) share(ctx context.Context, orgID string, guest casescribe.User, clientID, caseID string) (string, error) {
	return p.shareWith(ctx, orgID, guest, clientID, caseID, "")
}

// shareWith is share, limited to the saved view viewID of the case when viewID is not "" (the
// view's share counter is written in the same transaction).
func (p *inProcess) shareWith(ctx context.Context, orgID string, guest casescribe.User, clientID, caseID, viewID string) (string, error) {
	now := time.Now().UTC()
	sh := casescribe.Share{OrgID: orgID, ID: ulid.Make().String(), GuestID: guest.ID, GuestName: guest.Name,
		GuestEmail: guest.Email, Scope: casescribe.ScopeClient, ClientID: clientID, CaseID: caseID, ViewID: viewID, Version: 1,
		CreatedBy: p.admin.user.ID, CreatedAt: now, UpdatedAt: now}
	if caseID != "" {
		sh.Scope = casescribe.ScopeCase
	}
	if err := p.seed.CreateShare(ctx, sh); err != nil {
		return "", fmt.Errorf("seed %s share for %s: %w", sh.Scope, guest.Email, err)
	}
	return sh.ID, nil
}

// shareCases gives guest a case share of each of caseIDs, one after the other: every share
// counts on the guest's membership, and concurrent transactions on one item would conflict.
func (p *inProcess) shareCases(ctx context.Context, orgID string, guest casescribe.User, clientIDs, caseIDs []string) error {
	for i, caseID := range caseIDs {
		if _, err := p.share(ctx, orgID, guest, clientIDs[i], caseID); err != nil {
			return err
		}
	}
	return nil
}

// syntheticGuest is a guest who never signs in (no login in the user pool): someone whose
// share the admin changes.
func syntheticGuest(name string) casescribe.User {
	id := "guest-" + strings.ToLower(ulid.Make().String())
	return casescribe.User{ID: id, Email: id + "@bench.example", Name: name}
}

// guestSees checks, before anything is measured, that acc lists exactly want cases with
// GET /cases in the organization, and returns how many it listed: what the guest list
// measurements read is what the report says they read.
func (p *inProcess) guestSees(ctx context.Context, acc account, orgID string, want int) (int, error) {
	w := p.serve(ctx, acc, orgID, http.MethodGet, "/cases", "")
	if w.Code != http.StatusOK {
		return 0, fmt.Errorf("check GET /cases as %s: status %d: %s", acc.user.Email, w.Code, w.Body)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		return 0, fmt.Errorf("check GET /cases as %s: %w", acc.user.Email, err)
	}
	if len(list.Items) != want {
		return len(list.Items), fmt.Errorf("check GET /cases as %s: %d cases listed, want the %d shared", acc.user.Email, len(list.Items), want)
	}
	return len(list.Items), nil
}

// guestBlind checks that acc, a guest, is answered 404 for a case not shared with them.
func (p *inProcess) guestBlind(ctx context.Context, acc account, orgID, caseID string) error {
	if w := p.serve(ctx, acc, orgID, http.MethodGet, "/cases/"+caseID, ""); w.Code != http.StatusNotFound {
		return fmt.Errorf("check GET /cases/%s as %s, not shared with them: status %d, want 404", caseID, acc.user.Email, w.Code)
	}
	return nil
}

// inParallel calls fn(ctx, i) for every i in [0, n) on at most workers goroutines, and
// returns every error. It stops handing out work at the first error.
func inParallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					cancel()
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if len(errs) == 0 && ctx.Err() != nil {
		// Only the caller's context can have ended the loop without an error of fn.
		return context.Cause(ctx)
	}
	return errors.Join(errs...)
}
