package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/s3files"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
)

// mailFrom is the sender of the invitations the load run sends to its own staff and guests.
const mailFrom = "no-reply@casescribe.local"

// appBaseURL is the web app the invitation links point at; nothing is fetched from it.
const appBaseURL = "http://localhost:5173"

// target is the API under load and the emulators the run needs beside it: cognito-local to
// sign its people in, aws-ses-v2-local to read their invitations.
type target struct {
	apiURL      string
	cognito     *cip.Client
	poolID      string
	clientID    string
	sesEndpoint string
	// where says, for the report, which server was loaded.
	where string
	// st reads the table directly, for a second count of the facts; nil against a running
	// server.
	st    *store.Store
	close func()
}

// startInProcess starts the emulators on free ports, creates a table, a bucket and a user pool
// of their own, and serves the API (the local server's handlers and authorizer) on addr.
func startInProcess(ctx context.Context, addr string, runID string) (*target, error) {
	if err := loopbackHostPort(addr); err != nil {
		return nil, fmt.Errorf("-addr: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	stack, err := localstack.Start(startCtx, localstack.Options{})
	if err != nil {
		ln.Close()
		return nil, err
	}
	fail := func(err error) (*target, error) {
		ln.Close()
		if cerr := stack.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	table, bucket := "load-"+runID, "casescribe-load-"+runID
	if err := localstack.CreateTable(startCtx, stack.DynamoDB(), "", table); err != nil {
		return fail(err)
	}
	if err := localstack.CreateDocumentsBucket(startCtx, stack.S3(), "", bucket, appBaseURL); err != nil {
		return fail(err)
	}
	poolID, clientID, err := localstack.CreateUserPool(startCtx, stack.Cognito(), "casescribe-load")
	if err != nil {
		return fail(err)
	}
	verifier, err := auth.NewVerifier(startCtx, auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		return fail(err)
	}
	st := store.New(stack.DynamoDB(), table)
	files := s3files.New(aws.Config{Region: localstack.Region,
		Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, "")},
		stack.S3Endpoint, bucket, 0)
	handler := api.NewServer(st, api.WithMailer(sesmail.New(stack.SES(), mailFrom), appBaseURL), api.WithFiles(files),
		// Each request still formats its log line, as in production, but the lines would bury the report.
		api.WithLogger(api.NewLogger(io.Discard))).
		Local(auth.NewAuthorizer(verifier, st), nil)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	apiURL := "http://" + ln.Addr().String()
	return &target{
		apiURL: apiURL, cognito: stack.Cognito(), poolID: poolID, clientID: clientID, sesEndpoint: stack.SESEndpoint,
		where: "in-process API on " + ln.Addr().String() + " (the local server's handlers and authorizer), emulators started for the run",
		st:    st,
		close: func() {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
			if err := stack.Close(); err != nil {
				progress("%v", err)
			}
		},
	}, nil
}

// stackFile is what the local server writes to .local/stack.json that the run needs.
type stackFile struct {
	APIURL           string `json:"apiUrl"`
	CognitoEndpoint  string `json:"cognitoEndpoint"`
	UserPoolID       string `json:"userPoolId"`
	UserPoolClientID string `json:"userPoolClientId"`
	SESEndpoint      string `json:"sesEndpoint"`
	Region           string `json:"region"`
}

// attach uses a local server already running (`make run`): its stack file names the
// emulators the run signs in and reads invitations through. Every address must be loopback.
func attach(ctx context.Context, apiURL, path string, hc *http.Client) (*target, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-api needs the stack file of the running local server (start it with make run, or pass -stack): %w", err)
	}
	var sf stackFile
	if err := json.Unmarshal(raw, &sf); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for name, u := range map[string]string{"-api": apiURL, "cognitoEndpoint": sf.CognitoEndpoint, "sesEndpoint": sf.SESEndpoint} {
		if err := loopbackURL(u); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if sf.UserPoolID == "" || sf.UserPoolClientID == "" {
		return nil, fmt.Errorf("%s names no user pool or app client", path)
	}
	region := sf.Region
	if region == "" {
		region = localstack.Region
	}
	cog := cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(sf.CognitoEndpoint), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(localstack.AccessKeyID, localstack.SecretAccessKey, "")})
	// The API answers 401 to a request without a token: enough to know it is there.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/me", nil)
	if err != nil {
		return nil, fmt.Errorf("-api: %w", err)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the API at %s does not answer (is make run running?): %w", apiURL, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		return nil, fmt.Errorf("the API at %s answered GET /me without a token with %d, not 401: is it the local server?", apiURL, res.StatusCode)
	}
	return &target{apiURL: apiURL, cognito: cog, poolID: sf.UserPoolID, clientID: sf.UserPoolClientID,
		sesEndpoint: sf.SESEndpoint, where: "the running local server at " + apiURL, close: func() {}}, nil
}

// loopbackURL accepts only an http URL whose host is a loopback address.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("%q is not an http://host:port URL", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q: give the server's base URL only, such as http://127.0.0.1:3000", raw)
	}
	return loopbackHost(u.Hostname())
}

// loopbackHostPort accepts only a host:port whose host is a loopback address.
func loopbackHostPort(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	return loopbackHost(host)
}

// loopbackHost accepts a loopback IP address, or "localhost" when every address it resolves
// to is loopback. Anything else is refused: a load run never leaves this machine.
func loopbackHost(host string) error {
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address: the load run only calls this machine", host)
		}
		return nil
	}
	if host != "localhost" {
		return fmt.Errorf("%q is not a loopback address (use 127.0.0.1, ::1 or localhost): the load run only calls this machine", host)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(context.Background(), host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("localhost does not resolve here: use 127.0.0.1")
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("localhost resolves to %s, not a loopback address: use 127.0.0.1", ip.IP)
		}
	}
	return nil
}

// loopbackOnly refuses, at connect time, any connection whose resolved address is not
// loopback: whatever a URL in an answer (a signed upload URL, say) names, nothing leaves the
// machine.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refused to connect to %s: not a loopback address", address)
	}
	return nil
}

// newHTTPClient is the run's one HTTP client: loopback connections only, no proxy, and enough
// idle connections kept for every caller, so that the run measures requests rather than
// connection set-up.
func newHTTPClient(callers int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: loopbackOnly}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        2*callers + 8,
		MaxIdleConnsPerHost: 2*callers + 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: requestTimeout}
}

// requestTimeout bounds one request. A request is never cancelled because the run's time is
// up: a write cut off in flight would leave its outcome unknown.
const requestTimeout = 30 * time.Second

// newRunID is a short random name for what the run creates (table, bucket, emails), so that
// runs never meet, even against the same running server.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
