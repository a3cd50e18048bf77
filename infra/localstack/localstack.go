// Package localstack runs the AWS emulators the backend needs — DynamoDB
// Local, cognito-local, aws-ses-v2-local and s3rver — as child processes, so
// the whole product can be developed and tested on one machine without Docker
// or an AWS account.
//
// Start launches all four in parallel, each in its own process group and,
// on Linux, with a parent-death signal, so they never outlive the Go process
// even if it crashes. Stack.Close stops them. ForTest (in testing.go) shares
// one stack across a test binary.
//
// The emulators come from `make deps`: npm packages in infra/node_modules and
// the DynamoDB Local jar in infra/dynamodb-local.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ses"
)

// Region and static credentials every client of the stack uses. The
// emulators accept any values; fixing them keeps DynamoDB Local's -sharedDb
// irrelevant and avoids reading the developer's real AWS configuration.
const (
	Region          = "us-east-1"
	AccessKeyID     = "local"
	SecretAccessKey = "local"
)

// S3AccessKeyID and S3SecretAccessKey are the one key pair s3rver knows (its
// README and lib/models/account.js): unlike the other emulators it refuses a
// request signed with any other access key ID.
const (
	S3AccessKeyID     = "S3RVER"
	S3SecretAccessKey = "S3RVER"
)

// readyTimeout bounds how long one emulator may take to answer after being
// launched. DynamoDB Local (a JVM) is the slowest at 2–3 s on a warm machine;
// the margin covers cold caches and loaded CI hosts.
const readyTimeout = 60 * time.Second

// Options configures Start. The zero value is usable.
type Options struct {
	// Root is the repository root (the directory holding go.mod and infra/).
	// When empty, Start walks up from the working directory to the first
	// directory containing go.mod.
	Root string
	// DynamoDBPort, CognitoPort, SESPort and S3Port are the TCP ports the
	// emulators listen on; 0 picks a free port. Fixed ports suit a dev server
	// whose URLs should stay stable; tests should use 0 so runs never collide.
	DynamoDBPort, CognitoPort, SESPort, S3Port int
	// Log receives the emulators' output, each line prefixed with the
	// emulator's name. nil discards it (the tail is still kept for errors).
	Log io.Writer
}

// Stack is a running set of emulators. Endpoints are base URLs such as
// "http://127.0.0.1:41234", ready to be used as an SDK BaseEndpoint.
type Stack struct {
	// DynamoDBEndpoint is the DynamoDB Local URL.
	DynamoDBEndpoint string
	// CognitoEndpoint is the cognito-local URL. It is also the token issuer
	// prefix: see CognitoIssuer.
	CognitoEndpoint string
	// SESEndpoint is the aws-ses-v2-local URL; GET SESEndpoint+"/store" lists
	// the emails sent so far as JSON.
	SESEndpoint string
	// S3Endpoint is the s3rver URL. It serves path-style requests only
	// (S3Endpoint/<bucket>/<key>), signed with S3AccessKeyID.
	S3Endpoint string

	procs  []*process
	tmpDir string

	closeOnce sync.Once
	closeErr  error

	ddbOnce sync.Once
	ddb     *dynamodb.Client
	cogOnce sync.Once
	cog     *cognitoidentityprovider.Client
	sesOnce sync.Once
	ses     *ses.Client
	s3Once  sync.Once
	s3      *s3.Client
}

// Start checks prerequisites, launches the four emulators in parallel and
// returns once each answers requests. ctx bounds only the startup: the
// emulators keep running until Close (or until this process exits). On error
// nothing is left running.
func Start(ctx context.Context, opt Options) (*Stack, error) {
	root := opt.Root
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return nil, fmt.Errorf("start local stack: %w", err)
		}
	}
	// The emulators run in temp dirs, so a relative root would resolve
	// against the wrong directory in their command lines.
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("start local stack: %w", err)
	}
	specs, problems := emulatorSpecs(root, opt)
	problems = append(problems, checkPorts(specs)...)
	if len(problems) > 0 {
		// Report every problem at once so one `make deps` or one freed port
		// fixes everything, instead of a fix-rerun loop.
		return nil, fmt.Errorf("start local stack: %w", errors.Join(problems...))
	}

	tmpDir, err := os.MkdirTemp("", "casescribe-localstack-")
	if err != nil {
		return nil, fmt.Errorf("start local stack: create temp dir: %w", err)
	}
	s := &Stack{tmpDir: tmpDir}
	logw := newSyncWriter(opt.Log)

	type result struct {
		proc     *process
		endpoint string
		err      error
	}
	results := make([]result, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			workDir := filepath.Join(tmpDir, spec.short)
			if err := os.Mkdir(workDir, 0o700); err != nil {
				results[i].err = fmt.Errorf("start %s: %w", spec.name, err)
				return
			}
			p, endpoint, err := launch(ctx, spec, workDir, logw)
			results[i] = result{proc: p, endpoint: endpoint, err: err}
		}()
	}
	wg.Wait()

	var errs []error
	for _, r := range results {
		if r.proc != nil {
			s.procs = append(s.procs, r.proc)
		}
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		if cerr := s.Close(); cerr != nil {
			errs = append(errs, cerr)
		}
		return nil, fmt.Errorf("start local stack: %w", errors.Join(errs...))
	}
	s.DynamoDBEndpoint = results[0].endpoint
	s.CognitoEndpoint = results[1].endpoint
	s.SESEndpoint = results[2].endpoint
	s.S3Endpoint = results[3].endpoint
	return s, nil
}

// Close stops the emulators (killing their whole process groups, so no
// grandchild survives), waits for them to exit and removes their temporary
// directories. It is idempotent and safe to call on a partially started or
// externally provided stack; later calls return the first call's result.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, p := range s.procs {
			if err := p.stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.tmpDir != "" {
			if err := os.RemoveAll(s.tmpDir); err != nil {
				errs = append(errs, fmt.Errorf("remove emulator temp dir: %w", err))
			}
		}
		if len(errs) > 0 {
			s.closeErr = fmt.Errorf("close local stack: %w", errors.Join(errs...))
		}
	})
	return s.closeErr
}

// CognitoIssuer returns the "iss" claim cognito-local puts in tokens of the
// given user pool, which is what a JWT verifier must expect; the JWKS is at
// CognitoIssuer(poolID) + "/.well-known/jwks.json".
func (s *Stack) CognitoIssuer(poolID string) string {
	return s.CognitoEndpoint + "/" + poolID
}

// awsConfig is built by hand rather than with config.LoadDefaultConfig so the
// developer's ~/.aws files and AWS_* variables can never point a local run at
// a real account.
func awsConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
	}
}

// DynamoDB returns a client for DynamoDB Local. The client is created once
// and shared; it is safe for concurrent use.
func (s *Stack) DynamoDB() *dynamodb.Client {
	s.ddbOnce.Do(func() {
		s.ddb = dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(s.DynamoDBEndpoint)
		})
	})
	return s.ddb
}

// Cognito returns a client for cognito-local. The client is created once and
// shared; it is safe for concurrent use.
func (s *Stack) Cognito() *cognitoidentityprovider.Client {
	s.cogOnce.Do(func() {
		s.cog = cognitoidentityprovider.NewFromConfig(awsConfig(), func(o *cognitoidentityprovider.Options) {
			o.BaseEndpoint = aws.String(s.CognitoEndpoint)
		})
	})
	return s.cog
}

// SES returns a client (SES v1 API) for aws-ses-v2-local. The client is
// created once and shared; it is safe for concurrent use.
func (s *Stack) SES() *ses.Client {
	s.sesOnce.Do(func() {
		s.ses = ses.NewFromConfig(awsConfig(), func(o *ses.Options) {
			o.BaseEndpoint = aws.String(s.SESEndpoint)
		})
	})
	return s.ses
}

// S3 returns a client for s3rver: path-style, since s3rver is reached by
// address and not by a bucket's host name, and signed with s3rver's own key
// pair. The client is created once and shared; it is safe for concurrent use.
func (s *Stack) S3() *s3.Client {
	s.s3Once.Do(func() {
		s.s3 = s3.NewFromConfig(s3Config(), func(o *s3.Options) {
			o.BaseEndpoint = aws.String(s.S3Endpoint)
			o.UsePathStyle = true
		})
	})
	return s.s3
}

// s3Config is awsConfig with the only credentials s3rver accepts.
func s3Config() aws.Config {
	cfg := awsConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(S3AccessKeyID, S3SecretAccessKey, "")
	return cfg
}

// findRoot walks up from the working directory to the first directory that
// contains go.mod, which is the repository root for this single-module repo.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod in the working directory or its parents; set Options.Root")
		}
		dir = parent
	}
}

// checkPorts verifies that every explicitly requested port is valid, unique
// and free, so a clash is reported with the port and emulator named instead
// of surfacing later as an emulator crash.
func checkPorts(specs []emulatorSpec) []error {
	var errs []error
	seen := map[int]string{}
	for _, spec := range specs {
		if spec.port == 0 {
			continue
		}
		if spec.port < 0 || spec.port > 65535 {
			errs = append(errs, fmt.Errorf("port %d (%s) is not a valid TCP port", spec.port, spec.name))
			continue
		}
		if other, ok := seen[spec.port]; ok {
			errs = append(errs, fmt.Errorf("port %d is requested for both %s and %s: choose different ports", spec.port, other, spec.name))
			continue
		}
		seen[spec.port] = spec.name
		if err := portFree(spec.port); err != nil {
			errs = append(errs, fmt.Errorf("port %d (%s) %w", spec.port, spec.name, err))
		}
	}
	return errs
}

// portFree reports whether port can be bound on all interfaces. All
// interfaces, because DynamoDB Local binds 0.0.0.0 and so clashes with a
// listener on any address.
func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(port)))
	if err != nil {
		if isAddrInUse(err) {
			return errors.New("is already in use: stop what uses it or choose another port")
		}
		return fmt.Errorf("cannot be used: %w", err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("cannot be used: %w", err)
	}
	return nil
}

// freePort asks the kernel for an unused port. There is an unavoidable gap
// between closing this listener and the emulator binding the port; launch
// retries with a new port if the emulator reports the port taken.
func freePort() (int, error) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	return port, nil
}
