// Package api is the HTTP API: the route table, one http.Handler per route, and the error
// and JSON conventions of DESIGN §7. The same handlers run inside Lambda (one route per
// function) and in the local server (every route behind the authorizer middleware).
package api

import (
	"context"
	"net/http"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// Store is what the handlers need from storage. Every method's errors carry casescribe codes:
// ENOTFOUND for an unknown record, ECONFLICT for a failed condition.
type Store interface {
	CreateOrganization(ctx context.Context, org casescribe.Organization, founder casescribe.User) error
	UserMemberships(ctx context.Context, userID string) (casescribe.User, []casescribe.Membership, error)

	CreateClient(ctx context.Context, c casescribe.Client) error
	GetClient(ctx context.Context, orgID, clientID string) (casescribe.Client, error)
	GetClients(ctx context.Context, orgID string, ids []string) (map[string]casescribe.Client, error)
	ListClients(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Client], error)
	UpdateClient(ctx context.Context, orgID, clientID, name string, now time.Time) (casescribe.Client, error)
	DeleteClient(ctx context.Context, orgID, clientID string) error

	CreateCase(ctx context.Context, c casescribe.Case) error
	GetCase(ctx context.Context, orgID, caseID string) (casescribe.Case, error)
	ListCases(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Case], error)
	ListClientCases(ctx context.Context, orgID, clientID, cursor string, limit int) (casescribe.Page[casescribe.Case], error)
	UpdateCase(ctx context.Context, orgID, caseID, name string, now time.Time) (casescribe.Case, error)
	DeleteCase(ctx context.Context, orgID, clientID, caseID string) error
	GetCases(ctx context.Context, orgID string, ids []string) ([]casescribe.Case, error)
	AllClientCases(ctx context.Context, orgID, clientID string) ([]casescribe.Case, error)

	GetGrant(ctx context.Context, orgID, guestID, clientID string) (casescribe.Grant, error)
	GuestGrants(ctx context.Context, orgID, guestID string) ([]casescribe.Grant, error)
	GetShare(ctx context.Context, orgID, shareID string) (casescribe.Share, error)
	ClientShares(ctx context.Context, orgID, clientID string) ([]casescribe.Share, error)
	CreateShare(ctx context.Context, sh casescribe.Share) error
	RemoveShare(ctx context.Context, sh casescribe.Share) error
	GetShares(ctx context.Context, orgID string, ids []string) ([]casescribe.Share, error)
	OrgShares(ctx context.Context, orgID string) ([]casescribe.Share, error)
	ApplyShareChange(ctx context.Context, before casescribe.Share, plan access.Plan) error

	Locate(ctx context.Context, orgID, kind, id string) (store.Ref, error)
	GetFact(ctx context.Context, orgID, caseID, factID string) (casescribe.Fact, error)
	CaseFacts(ctx context.Context, orgID, caseID string) ([]casescribe.Fact, error)
	CreateFact(ctx context.Context, f casescribe.Fact) error
	ReplaceFact(ctx context.Context, before, after casescribe.Fact) error
	DeleteFact(ctx context.Context, f casescribe.Fact) error
	SetFactTag(ctx context.Context, orgID, caseID, factID, tag string, on bool, now time.Time) (casescribe.Fact, error)
	BulkEditFacts(ctx context.Context, orgID, caseID string, edit store.BulkEdit, now time.Time) error
	CreateView(ctx context.Context, v casescribe.SavedView) error
	GetView(ctx context.Context, orgID, caseID, viewID string) (casescribe.SavedView, error)
	CaseViews(ctx context.Context, orgID, caseID string) ([]casescribe.SavedView, error)
	UpdateView(ctx context.Context, v casescribe.SavedView) (casescribe.SavedView, error)
	DeleteView(ctx context.Context, v casescribe.SavedView) error
	CreateComment(ctx context.Context, c casescribe.Comment, factVersion int) error
	FactComments(ctx context.Context, orgID, caseID, factID, cursor string, limit int) (casescribe.Page[casescribe.Comment], error)
	CreateDocument(ctx context.Context, d casescribe.Document) error
	GetDocument(ctx context.Context, orgID, caseID, documentID string) (casescribe.Document, error)
	CaseDocuments(ctx context.Context, orgID, caseID string) ([]casescribe.Document, error)
	DeleteDocument(ctx context.Context, d casescribe.Document) error
	GetSummary(ctx context.Context, orgID, caseID string) (casescribe.CaseSummary, error)
	PutSummary(ctx context.Context, sum casescribe.CaseSummary, clientID string, expect int) error
	PurgeCase(ctx context.Context, orgID, caseID string) ([]string, error)
	CreateChat(ctx context.Context, c casescribe.Chat) error
	GetChat(ctx context.Context, orgID, caseID, chatID string) (casescribe.Chat, error)
	CaseChats(ctx context.Context, orgID, caseID string) ([]casescribe.Chat, error)
	ChatExchanges(ctx context.Context, orgID, caseID, chatID string) ([]casescribe.Exchange, error)
	RecordExchange(ctx context.Context, e casescribe.Exchange, clientID string, created []casescribe.Fact, tagged []store.FactEdit, now time.Time) error
	ApplyFactEdits(ctx context.Context, orgID, caseID string, edits []store.FactEdit, now time.Time) (int, error)
	ViewNames(ctx context.Context, orgID string, views map[string]string) (map[string]string, error)

	GetOrganization(ctx context.Context, orgID string) (casescribe.Organization, error)
	GetMembership(ctx context.Context, orgID, userID string) (casescribe.Membership, error)
	ListMembers(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Membership], error)
	ChangeRole(ctx context.Context, m casescribe.Membership, to casescribe.Role) (casescribe.Membership, error)
	RemoveMember(ctx context.Context, m casescribe.Membership) error

	EmailHolder(ctx context.Context, orgID, email string) (store.MemberOrInvitation, error)
	CreateInvitation(ctx context.Context, inv casescribe.Invitation, staleInvitationID string) error
	GetInvitation(ctx context.Context, orgID, invitationID string) (casescribe.Invitation, error)
	ListInvitations(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Invitation], error)
	ReissueInvitation(ctx context.Context, inv casescribe.Invitation) error
	MarkMailFailed(ctx context.Context, orgID, invitationID string, issue int) error
	RevokeInvitation(ctx context.Context, inv casescribe.Invitation) error
	AcceptInvitation(ctx context.Context, inv casescribe.Invitation, user casescribe.User, now time.Time) (casescribe.Membership, error)
}

// Mailer sends an email. Returns EMAILFAILED when the email service fails.
type Mailer interface {
	Send(ctx context.Context, msg invitation.Message) error
}

// Files keeps the bytes of case documents (S3 in AWS). The API never carries the bytes: it
// signs short-lived URLs, only after the caller's access has been checked.
type Files interface {
	// UploadURL signs a PUT of exactly size bytes of contentType to key.
	UploadURL(ctx context.Context, key, contentType string, size int64) (casescribe.SignedURL, error)
	// DownloadURL signs a GET of key, served as an attachment named fileName.
	DownloadURL(ctx context.Context, key, fileName string) (casescribe.SignedURL, error)
	// Delete removes the files at keys; keys already gone are no error.
	Delete(ctx context.Context, keys ...string) error
}

// Server holds what every handler needs.
type Server struct {
	store      Store
	mail       Mailer
	files      Files
	ai         ai.Provider
	appBaseURL string
	now        func() time.Time
	newID      func() string
}

// Option configures a Server.
type Option func(*Server)

// WithMailer makes the server send invitation emails through m, with links to the web app at
// appBaseURL. Without it, creating or resending an invitation answers EMAILFAILED.
func WithMailer(m Mailer, appBaseURL string) Option {
	return func(s *Server) { s.mail, s.appBaseURL = m, appBaseURL }
}

// WithFiles makes the server keep document bytes in f. Without it, the document routes that
// move or delete bytes answer an internal error.
func WithFiles(f Files) Option {
	return func(s *Server) { s.files = f }
}

// AIProvider is what Ask AI, AI tagging and AI grouping ask of a model (see package ai).
type AIProvider = ai.Provider

// WithAI makes Ask AI, AI tagging and AI grouping use p. Without it they use the local
// extractive answerer (ai.Local).
func WithAI(p ai.Provider) Option {
	return func(s *Server) { s.ai = p }
}

// WithClock makes the server read the time from now (tests of expiry).
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// NewServer returns a Server on the given store.
func NewServer(store Store, opts ...Option) *Server {
	s := &Server{
		store: store,
		now:   func() time.Time { return time.Now().UTC() },
		ai:    ai.Local{},
		newID: func() string { return ulid.Make().String() },
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, c casescribe.Caller) error

type ctxKey int

const (
	callerKey ctxKey = iota
	authErrorKey
)

// WithCaller returns ctx carrying the authorizer's verdict: who calls, in which organization,
// with which role. Only the authorizer glue (Lambda context or local middleware) calls it.
func WithCaller(ctx context.Context, c casescribe.Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// WithAuthError returns ctx carrying why the authorizer refused the request, so that the
// route answers with that error in the API's own shape.
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, authErrorKey, err)
}

// callerFrom returns the caller the authorizer put in ctx, or the authorizer's refusal. With
// neither, the request is refused: a handler never runs without a verdict.
func callerFrom(ctx context.Context) (casescribe.Caller, error) {
	if err, ok := ctx.Value(authErrorKey).(error); ok && err != nil {
		return casescribe.Caller{}, err
	}
	if c, ok := ctx.Value(callerKey).(casescribe.Caller); ok && c.UserID != "" {
		return c, nil
	}
	return casescribe.Caller{}, casescribe.Errorf(casescribe.EUNAUTHENTICATED, "Sign in first.")
}

// Handler returns the http.Handler of one route, for its Lambda function. The caller must
// already be in the request context (see WithCaller).
func (s *Server) Handler(routeID string) (http.Handler, bool) {
	rt, ok := RouteByID(routeID)
	if !ok {
		return nil, false
	}
	mux := http.NewServeMux()
	mux.Handle(rt.Key(), s.serve(rt))
	mux.Handle("/", notFound())
	return mux, true
}

// serve runs one route: the caller from the authorizer, the role rule of its action, then the
// handler; any error becomes the API's JSON error.
func (s *Server) serve(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c casescribe.Caller
		var err error
		if rt.Action.Needs() != access.NeedNothing {
			c, err = callerFrom(r.Context())
		}
		if err == nil {
			err = access.Permit(c, rt.Action)
		}
		if err == nil {
			err = rt.handle(s, w, r, c)
		}
		if err != nil {
			writeError(w, r, rt.ID, err)
		}
	})
}

func notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, "", casescribe.Errorf(casescribe.ENOTFOUND, "There is no %s %s.", r.Method, r.URL.Path))
	})
}
