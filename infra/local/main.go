// Command local runs the whole backend on one machine: it starts DynamoDB Local, cognito-local,
// aws-ses-v2-local and s3rver, creates the table from template.yaml, a Cognito user pool and
// the documents bucket, seeds demo firms and logins, serves the API (the same handlers and
// authorizer code as the Lambda functions) on 127.0.0.1:3000, and writes .local/stack.json for
// any client. Ctrl-C stops everything it started. `make run` runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/expiry"
	"github.com/casescribe/sharing/pkg/s3files"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
	"gopkg.in/yaml.v3"
)

// tableName is the local table's name; tests use random names of their own.
const tableName = "casescribe"

// mailFrom is the sender of the local stack's emails.
const mailFrom = "no-reply@casescribe.local"

// documentsBucket is the local bucket of document bytes; tests use random names of their own.
const documentsBucket = "casescribe-documents-local"

// stackFile is what .local/stack.json holds (DESIGN §7).
type stackFile struct {
	APIURL           string     `json:"apiUrl"`
	AppBaseURL       string     `json:"appBaseUrl"`
	DynamoDBEndpoint string     `json:"dynamodbEndpoint"`
	CognitoEndpoint  string     `json:"cognitoEndpoint"`
	UserPoolID       string     `json:"userPoolId"`
	UserPoolClientID string     `json:"userPoolClientId"`
	SESEndpoint      string     `json:"sesEndpoint"`
	MailFrom         string     `json:"mailFrom"`
	S3Endpoint       string     `json:"s3Endpoint"`
	TableName        string     `json:"tableName"`
	DocumentsBucket  string     `json:"documentsBucket"`
	Region           string     `json:"region"`
	Accounts         []*account `json:"accounts"`
	Organizations    []*demoOrg `json:"organizations"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "casescribe local stack:", err)
		os.Exit(1)
	}
}

func run() error {
	apiAddr := flag.String("addr", "127.0.0.1:3000", "address the API listens on")
	ddbPort := flag.Int("dynamodb-port", 8000, "DynamoDB Local port")
	cognitoPort := flag.Int("cognito-port", 9229, "cognito-local port")
	sesPort := flag.Int("ses-port", 8005, "aws-ses-v2-local port")
	s3Port := flag.Int("s3-port", 4568, "s3rver port")
	appBaseURL := flag.String("app-base-url", "http://localhost:5173", "the web app, whose pages invitation emails link to")
	sweepEvery := flag.Duration("sweep-every", time.Minute, "how often the sweep of shares that end runs (deployed: every 15 minutes); 0 turns it off")
	stateDir := flag.String("state-dir", ".local", "where stack.json, sam-env.json and the emulator log go")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The API logs as it does in Lambda: JSON lines on stderr, one per request. What this
	// program prints for the developer (how to call the stack) stays on stdout.
	logger := api.NewLogger(os.Stderr)
	slog.SetDefault(logger)

	// Take the API port first, so that a port in use is reported before anything starts.
	ln, err := net.Listen("tcp", *apiAddr)
	if err != nil {
		return fmt.Errorf("the API address %s is already in use (or not available): stop what uses it or pass -addr: %w", *apiAddr, err)
	}
	defer ln.Close()

	localDir := *stateDir
	if err := os.MkdirAll(localDir, 0o755); err != nil {
		return err
	}
	emulatorLog, err := os.Create(filepath.Join(localDir, "emulators.log"))
	if err != nil {
		return err
	}
	defer emulatorLog.Close()

	fmt.Println("Starting DynamoDB Local, cognito-local, aws-ses-v2-local and s3rver…")
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	stack, err := localstack.Start(startCtx, localstack.Options{
		DynamoDBPort: *ddbPort, CognitoPort: *cognitoPort, SESPort: *sesPort, S3Port: *s3Port, Log: emulatorLog})
	if err != nil {
		return err
	}
	defer stack.Close()

	if err := localstack.CreateTable(startCtx, stack.DynamoDB(), "", tableName); err != nil {
		return err
	}
	if err := localstack.CreateDocumentsBucket(startCtx, stack.S3(), "", documentsBucket, *appBaseURL); err != nil {
		return err
	}
	poolID, clientID, err := localstack.CreateUserPool(startCtx, stack.Cognito(), "casescribe-local")
	if err != nil {
		return err
	}
	st := store.New(stack.DynamoDB(), tableName)
	d, err := seed(startCtx, st, stack.Cognito(), poolID, stack.S3(), documentsBucket)
	if err != nil {
		return err
	}

	verifier, err := auth.NewVerifier(ctx, auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		return err
	}
	doc, err := openAPIJSON()
	if err != nil {
		return err
	}
	mailer := sesmail.New(stack.SES(), mailFrom)
	files := s3files.New(aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, "")}, stack.S3Endpoint, documentsBucket, 0)
	handler := api.NewServer(st, api.WithMailer(mailer, *appBaseURL), api.WithFiles(files), api.WithLogger(logger)).Local(auth.NewAuthorizer(verifier, st), map[string]http.Handler{
		"GET /openapi.json": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		}),
	})

	if err := invitePending(startCtx, handler, stack.Cognito(), clientID, d); err != nil {
		return err
	}
	if err := seedChats(startCtx, handler, stack.Cognito(), clientID, d); err != nil {
		return err
	}

	apiURL := "http://" + ln.Addr().String()
	sf := stackFile{APIURL: apiURL, AppBaseURL: *appBaseURL, DynamoDBEndpoint: stack.DynamoDBEndpoint, CognitoEndpoint: stack.CognitoEndpoint,
		UserPoolID: poolID, UserPoolClientID: clientID, SESEndpoint: stack.SESEndpoint, MailFrom: mailFrom, S3Endpoint: stack.S3Endpoint,
		TableName: tableName, DocumentsBucket: documentsBucket, Region: localstack.Region, Accounts: d.Accounts, Organizations: d.Organizations}
	if err := writeJSONFile(filepath.Join(localDir, "stack.json"), sf); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(localDir, "sam-env.json"), samEnv(sf)); err != nil {
		return err
	}
	printHowTo(sf)

	if *sweepEvery > 0 {
		go sweepShares(ctx, st, mailer, *appBaseURL, *sweepEvery, logger)
	}

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		fmt.Println("\nStopping…")
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	return srv.Shutdown(shutdownCtx)
}

// samEnv is the --env-vars file of `sam local start-api` and `sam local invoke`: it points
// every function at this stack. Functions run in containers there, which reach this machine
// as host.docker.internal, while tokens keep naming the issuer cognito-local gave them. One
// key pair serves every emulator: s3rver's, since s3rver knows no other and the rest take any.
// Signed URLs carry the host the function sees, and their signatures cover it: a browser using
// them must resolve host.docker.internal to this machine too.
func samEnv(sf stackFile) map[string]map[string]string {
	host := func(u string) string { return strings.Replace(u, "127.0.0.1", "host.docker.internal", 1) }
	return map[string]map[string]string{"Parameters": {
		"TABLE_NAME":            sf.TableName,
		"USER_POOL_ID":          sf.UserPoolID,
		"USER_POOL_CLIENT_ID":   sf.UserPoolClientID,
		"COGNITO_ISSUER":        sf.CognitoEndpoint + "/" + sf.UserPoolID,
		"COGNITO_JWKS_URL":      host(sf.CognitoEndpoint) + "/" + sf.UserPoolID + "/.well-known/jwks.json",
		"DYNAMODB_ENDPOINT":     host(sf.DynamoDBEndpoint),
		"AWS_ACCESS_KEY_ID":     localstack.S3AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": localstack.S3SecretAccessKey,
		"SES_ENDPOINT":          host(sf.SESEndpoint),
		"S3_ENDPOINT":           host(sf.S3Endpoint),
		"DOCUMENTS_BUCKET":      sf.DocumentsBucket,
		"MAIL_FROM":             mailFrom,
		"APP_BASE_URL":          sf.AppBaseURL,
	}}
}

// openAPIJSON converts the embedded OpenAPI document to JSON once, at start.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(api.OpenAPI(), &doc); err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}
	return json.Marshal(doc)
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

func printHowTo(sf stackFile) {
	admin := sf.Accounts[0]
	fmt.Printf(`
CaseScribe API:   %s   (OpenAPI: %s/openapi.json)
DynamoDB Local:   %s   table %s
cognito-local:    %s   pool %s, app client %s
aws-ses-v2-local: %s   (sent mail: %s/)
s3rver:           %s   bucket %s
Everything above: .local/stack.json. Emulator output: .local/emulators.log
For sam local: --env-vars .local/sam-env.json

Sign in as the seeded admin (%s, password %s) and call the API:

  TOKEN=$(curl -s %s/ -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \
    -d '{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"%s","AuthParameters":{"USERNAME":"%s","PASSWORD":"%s"}}' \
    | sed -E 's/.*"IdToken":"([^"]+)".*/\1/')
  curl -s %s/me -H "Authorization: Bearer $TOKEN"
  curl -s %s/clients -H "Authorization: Bearer $TOKEN" -H "X-Org-Id: %s"

A pending invitation for %s waits in the inbox; README.md shows how to accept it.
Ctrl-C stops everything.
`, sf.APIURL, sf.APIURL, sf.DynamoDBEndpoint, sf.TableName, sf.CognitoEndpoint, sf.UserPoolID, sf.UserPoolClientID,
		sf.SESEndpoint, sf.SESEndpoint, sf.S3Endpoint, sf.DocumentsBucket, admin.Email, admin.Password, sf.CognitoEndpoint, sf.UserPoolClientID,
		admin.Email, admin.Password, sf.APIURL, sf.APIURL, sf.Organizations[0].ID, pendingInvitee)
}

// sweepShares runs the sweep of shares that end (what the deployed sweep-shares function does
// on its schedule) every interval until ctx ends.
func sweepShares(ctx context.Context, st *store.Store, mailer *sesmail.Mailer, appBaseURL string, every time.Duration, logger *slog.Logger) {
	now := func() time.Time { return time.Now().UTC() }
	sw := expiry.New(st, accessmail.New(st, mailer, appBaseURL, now), store.RecordExpiry, now, logger)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, _ = sw.Run(ctx) // it logs what it did and what failed
		}
	}
}
