package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// caseContent is what a content route knows once the caller's access to the case is checked:
// the case, the caller's scope in it, and what it asked to read alongside.
type caseContent struct {
	k      casescribe.Case
	scope  access.Scope
	grants access.Grants
	views  []casescribe.SavedView
	facts  []casescribe.Fact
	docs   []casescribe.Document
}

// contentLoad says what to read with the case. The case's content partition is keyed by the
// case id alone, so everything is read at once with the case; a guest's grant needs the
// client id, known at once when the route located its item through a ref, and else read just
// after the case: two round trips at most, the access check included.
type contentLoad struct {
	caseID   string
	clientID string // "" when not known yet
	// notFound is the answer when the case is unknown or not visible, worded for what the
	// route names ("Fact not found."), so that an invisible id answers exactly as an unknown one.
	notFound string
	facts    bool
	docs     bool
	views    bool
	// selects is for a route that uses only the facts its scope selects under one filter (a
	// fact list, an export): it returns that filter, exactly as the route will resolve it for
	// the scope and the case's views, and false when the request's filter is not valid. The
	// facts read are then narrowed in DynamoDB to those that can pass it (and the scope), so
	// that a guest's list under a saved view is not sent, decoded and matched every fact of
	// the case.
	selects func(sc access.Scope, views []casescribe.SavedView) (casescribe.FactFilter, bool)
	// extra runs in the same round trip as the case read (the route's own item).
	extra func(ctx context.Context) error
}

// openCase reads what ld asks and decides the caller's scope. Guests always read the case's
// views (a share may limit them to one) and, with documents, its facts (a view opens only the
// documents its facts cite).
//
// Facts a route selects (ld.selects) are read narrowed by its filter and the caller's scope.
// Staff see the whole case, so their filter is known from the request alone and their facts
// are read with the case, unless the request names a saved view (known once the views are
// read). A guest's scope needs its grant, which is keyed by the case's client: when the client
// is not known yet, every grant of the guest is read with the case (one query, instead of the
// one grant after the case), and the facts just after. Either way, two round trips at most
// for a route that opens its case by id (pathCase); one that locates its item first would wait
// a third for its facts, and leaves selects unset.
func (s *Server) openCase(r *http.Request, c casescribe.Caller, ld contentLoad) (caseContent, error) {
	ctx := r.Context()
	guest := c.Role == casescribe.RoleGuest
	if guest {
		ld.views = true
		ld.facts = ld.facts || ld.docs
	}
	narrow := ld.facts && ld.selects != nil
	var early []casescribe.FactFilter // the facts' narrowing, when known before the scope
	if narrow && c.Role.Staff() {
		if f, ok := ld.selects(access.Scope{}, nil); ok {
			early = []casescribe.FactFilter{f}
		}
	}
	allGrants := narrow && guest && ld.clientID == ""
	var (
		out         caseContent
		grants      access.Grants
		guestGrants []casescribe.Grant
		wg          sync.WaitGroup
		mu          sync.Mutex
		errs        []error
	)
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	grant := func(clientID string) {
		g, err := s.grantFor(r, c, clientID)
		grants = g
		fail(err)
	}
	wg.Go(func() {
		k, err := s.store.GetCase(ctx, c.OrgID, ld.caseID)
		out.k = k
		if err == nil && guest && ld.clientID == "" && !allGrants {
			grant(k.ClientID)
		}
		fail(err)
	})
	if guest && ld.clientID != "" {
		wg.Go(func() { grant(ld.clientID) })
	}
	if allGrants {
		wg.Go(func() {
			var err error
			guestGrants, err = s.guestGrants(ctx, c.OrgID, c.UserID)
			fail(err)
		})
	}
	if ld.views {
		wg.Go(func() {
			var err error
			out.views, err = s.store.CaseViews(ctx, c.OrgID, ld.caseID)
			fail(err)
		})
	}
	if ld.facts && (!narrow || early != nil) {
		wg.Go(func() {
			var err error
			if narrow {
				out.facts, err = s.store.CaseFactsMatching(ctx, c.OrgID, ld.caseID, early...)
			} else {
				out.facts, err = s.store.CaseFacts(ctx, c.OrgID, ld.caseID)
			}
			fail(err)
		})
	}
	if ld.docs {
		wg.Go(func() {
			var err error
			out.docs, err = s.store.CaseDocuments(ctx, c.OrgID, ld.caseID)
			fail(err)
		})
	}
	if ld.extra != nil {
		wg.Go(func() { fail(ld.extra(ctx)) })
	}
	wg.Wait()
	notFound := casescribe.Errorf(casescribe.ENOTFOUND, "%s", ld.notFound)
	// Visibility first: for a case the caller cannot see, every other answer (an unknown item
	// included) is the same not found.
	caseErr := errors.Join(errs...)
	if out.k.ID == "" {
		if code := casescribe.ErrorCode(caseErr); code != casescribe.ENOTFOUND && caseErr != nil {
			return caseContent{}, caseErr
		}
		return caseContent{}, notFound
	}
	if ld.clientID != "" && out.k.ClientID != ld.clientID {
		return caseContent{}, notFound
	}
	if allGrants {
		g := casescribe.Grant{ClientID: out.k.ClientID}
		for _, gg := range guestGrants {
			if gg.ClientID == out.k.ClientID {
				g = gg
			}
		}
		grants = access.GrantsOf(g)
	}
	scope, ok := access.ContentScope(c, out.k, grants, out.views)
	if !ok {
		return caseContent{}, notFound
	}
	if caseErr != nil {
		if casescribe.ErrorCode(caseErr) == casescribe.ENOTFOUND {
			return caseContent{}, notFound
		}
		return caseContent{}, caseErr
	}
	out.scope, out.grants = scope, grants
	if narrow {
		// Read (or read again, should the scope not be what the early read assumed) the facts
		// narrowed by exactly what the route will select them by.
		filters := factNarrowing(scope, out.views, ld.selects)
		if early == nil || !reflect.DeepEqual(filters, early) {
			facts, err := s.store.CaseFactsMatching(ctx, c.OrgID, ld.caseID, filters...)
			if err != nil {
				return caseContent{}, err
			}
			out.facts = facts
		}
	}
	return out, nil
}

// factNarrowing returns the filters every fact a route selects passes: the scope's view, if
// any, and the route's own filter (for a guest limited to a view, the view's again). When the
// request's filter is not valid the route reads nothing but its error, and the scope's view
// alone is enough.
func factNarrowing(sc access.Scope, views []casescribe.SavedView, selects func(access.Scope, []casescribe.SavedView) (casescribe.FactFilter, bool)) []casescribe.FactFilter {
	var out []casescribe.FactFilter
	if sc.View != nil {
		out = append(out, sc.View.Filter)
	}
	if f, ok := selects(sc, views); ok && (sc.View == nil || !reflect.DeepEqual(f, sc.View.Filter)) {
		out = append(out, f)
	}
	return out
}

// pathCase opens the case named by the path's caseId.
func (s *Server) pathCase(r *http.Request, c casescribe.Caller, ld contentLoad) (caseContent, error) {
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return caseContent{}, err
	}
	ld.caseID, ld.notFound = id, "Case not found."
	return s.openCase(r, c, ld)
}

// pathItem locates the fact, view or document named by the path parameter, then opens its
// case with ld; read is called in the same round trip as the case, to read the item itself.
func (s *Server) pathItem(r *http.Request, c casescribe.Caller, kind, param string, ld contentLoad, read func(ctx context.Context, ref store.Ref) error) (caseContent, store.Ref, error) {
	what := map[string]string{store.KindFact: "Fact", store.KindView: "View", store.KindDocument: "Document", store.KindChat: "Chat"}[kind]
	id, err := pathID(r, param, what)
	if err != nil {
		return caseContent{}, store.Ref{}, err
	}
	ref, err := s.store.Locate(r.Context(), c.OrgID, kind, id)
	if err != nil {
		return caseContent{}, store.Ref{}, err
	}
	ld.caseID, ld.clientID, ld.notFound = ref.CaseID, ref.ClientID, what+" not found."
	ld.extra = func(ctx context.Context) error { return read(ctx, ref) }
	cc, err := s.openCase(r, c, ld)
	return cc, ref, err
}

// viewByID returns the view with the given id among views, nil if absent.
func viewByID(views []casescribe.SavedView, id string) *casescribe.SavedView {
	for i := range views {
		if views[i].ID == id {
			return &views[i]
		}
	}
	return nil
}
