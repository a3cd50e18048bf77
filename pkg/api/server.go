// Package api is the HTTP API: the route table, one http.Handler per route, and the error
// and JSON conventions of DESIGN §7. The same handlers run inside Lambda (one route per
// function) and in the local server (every route behind the authorizer middleware).
package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/audit"
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
	// CreateShareFrom stores a share made from case fromCaseID's Share dialog (see store).
	CreateShareFrom(ctx context.Context, sh casescribe.Share, fromCaseID string) error
	RemoveShare(ctx context.Context, sh casescribe.Share) error
	GetShares(ctx context.Context, orgID string, ids []string) ([]casescribe.Share, error)
	OrgShares(ctx context.Context, orgID string) ([]casescribe.Share, error)
	ApplyShareChange(ctx context.Context, before casescribe.Share, plan access.Plan) error

	Locate(ctx context.Context, orgID, kind, id string) (store.Ref, error)
	GetFact(ctx context.Context, orgID, caseID, factID string) (casescribe.Fact, error)
	CaseFacts(ctx context.Context, orgID, caseID string) ([]casescribe.Fact, error)
	// CaseFactsMatching reads the facts of a case narrowed in DynamoDB to those that can pass
	// every one of filters (a superset: the caller still applies them).
	CaseFactsMatching(ctx context.Context, orgID, caseID string, filters ...casescribe.FactFilter) ([]casescribe.Fact, error)
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

	AppendAudit(ctx context.Context, rec audit.Record) error
	AuditEntries(ctx context.Context, orgID string, filter store.AuditFilter, cursor string, limit int) (casescribe.Page[audit.Entry], error)
	AuditChain(ctx context.Context, orgID string) ([]audit.Entry, audit.Head, error)
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
	log        *slog.Logger
	// notify emails guests about their access; nil without a mailer.
	notify *accessmail.Notifier
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

// WithLogger makes the server write its access lines and error reports to l. Every record made
// under a request's context gets the request's id. Without it, they go to stderr as JSON (see
// NewLogger).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) {
		if _, ok := l.Handler().(requestIDHandler); !ok {
			l = slog.New(requestIDHandler{l.Handler()})
		}
		s.log = l
	}
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
		log:   NewLogger(os.Stderr),
	}
	for _, o := range opts {
		o(s)
	}
	if s.mail != nil {
		s.notify = accessmail.New(s.store, s.mail, s.appBaseURL, s.now)
	}
	return s
}

type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, c casescribe.Caller) error

type ctxKey int

const (
	callerKey ctxKey = iota
	authErrorKey
	requestIDKey
	exchangeKey
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
	return s.logged(mux), true
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
		if x := exchangeFrom(r.Context()); x != nil {
			x.route, x.caller, x.path = rt.Key(), c, pathIDs(rt, r)
		}
		if err == nil {
			err = access.Permit(c, rt.Action)
		}
		if err == nil {
			err = rt.handle(s, w, r, c)
		}
		if err != nil {
			writeError(w, r, err)
		}
	})
}

func notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, casescribe.Errorf(casescribe.ENOTFOUND, "There is no %s %s.", r.Method, r.URL.Path))
	})
}

// RequestIDHeader carries a request's id: read from a client that sends a sane one, and
// always answered, so that a person reporting a problem can quote the id of its log line.
const RequestIDHeader = "X-Request-Id"

// NewLogger returns the logger the API ships with: one JSON object per line on w, and every
// record made under a request's context tagged with the request's id.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, nil)})
}

// WithRequestID returns ctx carrying the id API Gateway gave the request, which the access
// line and the X-Request-Id header then use. Only the Lambda glue calls it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// requestIDHandler adds the request id found in a record's context, so that whatever is
// logged while serving a request can be found with the request's access line.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey).(string); ok && id != "" {
		r.AddAttrs(slog.String("requestId", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// exchange is what the access line of one request says, filled in as the request goes: the
// route and caller by serve, the error by writeError.
type exchange struct {
	route  string
	caller casescribe.Caller
	path   []any
	err    error
}

func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey).(*exchange)
	return x
}

// logged wraps the whole API (every route of a Lambda function or of the local server) with
// its access log: one line per request, with the request id, the route key (never the raw
// path, and never the query string, which carries invitation tokens), the caller's
// organization, id and role, the status, the duration and the error code. Headers and bodies
// are never logged: they carry tokens, passwords, emails and case text. A panicking handler
// answers 500 in the API's shape rather than dropping the connection.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id, _ := r.Context().Value(requestIDKey).(string)
		if !saneRequestID(id) {
			id = r.Header.Get(RequestIDHeader)
		}
		if !saneRequestID(id) {
			id = ulid.Make().String()
		}
		w.Header().Set(RequestIDHeader, id)
		x := &exchange{}
		ctx := context.WithValue(WithRequestID(r.Context(), id), exchangeKey, x)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler {
				err := fmt.Errorf("panic: %v", v)
				if sw.status == 0 {
					writeError(sw, r, err)
				}
				x.err = err
			}
			s.logRequest(ctx, r, x, sw.status, time.Since(start))
			if v == http.ErrAbortHandler {
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// logRequest writes the access line. r is the request as the mux saw it, whose pattern names
// the route of handlers outside the route table.
func (s *Server) logRequest(ctx context.Context, r *http.Request, x *exchange, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	route := x.route
	if route == "" {
		route = r.Pattern
	}
	if route == "" || route == "/" {
		route = "unmatched"
	}
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("route", route),
		slog.String("orgId", x.caller.OrgID),
		slog.String("userId", x.caller.UserID),
		slog.String("role", string(x.caller.Role)),
		slog.Int("status", status),
		slog.Float64("durationMs", float64(d.Microseconds())/1000),
	}
	if len(x.path) > 0 {
		attrs = append(attrs, slog.Group("path", x.path...))
	}
	if x.err != nil {
		code := casescribe.ErrorCode(x.err)
		attrs = append(attrs, slog.String("errorCode", code))
		// Only our own faults are logged with their text: a 4xx's message may quote the
		// request, while a 5xx's text is ours (store, email, AI or file service, panic).
		if StatusOf(code) >= 500 {
			attrs = append(attrs, slog.String("error", x.err.Error()))
		}
	}
	if status >= 500 || (x.err != nil && StatusOf(casescribe.ErrorCode(x.err)) >= 500) {
		level = slog.LevelError
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// saneRequestID reports whether id can be used as a request id as is: short, and of the
// characters request ids are made of, so that a client cannot put arbitrary text into the
// logs through the header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-_.:=", c):
		default:
			return false
		}
	}
	return true
}

// pathIDs returns the ids in the request's path, for the access line: only parameters named
// "...Id", and only values shaped like the ids the API issues (ULIDs, and Cognito's UUIDs
// for users), so that nothing a person typed (a tag, a mistyped path) reaches the logs.
func pathIDs(rt Route, r *http.Request) []any {
	var out []any
	rest := rt.Path
	for {
		_, after, ok := strings.Cut(rest, "{")
		if !ok {
			return out
		}
		name, tail, _ := strings.Cut(after, "}")
		rest = tail
		if !strings.HasSuffix(name, "Id") {
			continue
		}
		if v := r.PathValue(name); isULID(v) || isUUID(v) {
			out = append(out, slog.String(name, v))
		}
	}
}

func isULID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// statusWriter remembers the status a handler answered, for the access line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
