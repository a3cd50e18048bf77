package localstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Paths below the repository root where `make deps` installs the emulators.
const (
	nodeModulesDir   = "infra/node_modules"
	cognitoScript    = "infra/node_modules/cognito-local/lib/bin/start.js"
	sesScript        = "infra/node_modules/aws-ses-v2-local/dist/cli.js"
	s3Script         = "infra/node_modules/s3rver/bin/s3rver.js"
	dynamoDBDir      = "infra/dynamodb-local"
	dynamoDBJar      = "infra/dynamodb-local/DynamoDBLocal.jar"
	dynamoDBLibDir   = "infra/dynamodb-local/DynamoDBLocal_lib"
	localhost        = "127.0.0.1"
	makeDepsHint     = "run `make deps`"
	dynamoDBName     = "DynamoDB Local"
	cognitoLocalName = "cognito-local"
	sesLocalName     = "aws-ses-v2-local"
	s3rverName       = "s3rver"
)

// emulatorSpec describes how to run and probe one emulator.
type emulatorSpec struct {
	name  string // human name used in errors
	short string // log prefix and temp subdirectory
	port  int    // requested port; 0 = pick one
	// command returns the program, arguments and extra environment for port;
	// workDir is the emulator's own temporary directory (and working directory).
	command func(port int, workDir string) (prog string, args, env []string)
	// probe returns nil once the emulator at endpoint serves requests. It is
	// called from one goroutine at a time.
	probe func(ctx context.Context, endpoint string) error
}

// emulatorSpecs builds the specs for the four emulators, in the order
// DynamoDB, Cognito, SES, S3, and collects every missing prerequisite with a hint
// on how to fix it.
func emulatorSpecs(root string, opt Options) ([]emulatorSpec, []error) {
	var problems []error
	java, err := exec.LookPath("java")
	if err != nil {
		problems = append(problems, errors.New("java not found on PATH: install a Java 17+ runtime (DynamoDB Local needs it)"))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		problems = append(problems, errors.New("node not found on PATH: install Node.js 20+ (cognito-local, aws-ses-v2-local and s3rver need it)"))
	}
	if !exists(filepath.Join(root, nodeModulesDir)) {
		problems = append(problems, fmt.Errorf("%s is missing under %s: %s", nodeModulesDir, root, makeDepsHint))
	} else {
		for _, script := range []string{cognitoScript, sesScript, s3Script} {
			if !exists(filepath.Join(root, script)) {
				problems = append(problems, fmt.Errorf("%s is missing under %s (incomplete npm install): %s", script, root, makeDepsHint))
			}
		}
	}
	for _, p := range []string{dynamoDBJar, dynamoDBLibDir} {
		if !exists(filepath.Join(root, p)) {
			problems = append(problems, fmt.Errorf("%s is missing under %s (DynamoDB Local is not installed): %s", p, root, makeDepsHint))
		}
	}

	specs := []emulatorSpec{
		{
			name:  dynamoDBName,
			short: "dynamodb",
			port:  opt.DynamoDBPort,
			command: func(port int, _ string) (string, []string, []string) {
				return java, []string{
					"-Djava.library.path=" + filepath.Join(root, dynamoDBLibDir),
					// The serial GC: fewer GC threads on a small machine. The
					// JIT is left whole: capping it at C1 saved ~0.6 s of
					// startup but made the emulator about twice as slow over
					// the test suite's hundreds of thousands of requests.
					"-XX:+UseSerialGC",
					"-jar", filepath.Join(root, dynamoDBJar),
					"-inMemory", "-sharedDb", "-disableTelemetry",
					"-port", strconv.Itoa(port),
				}, nil
			},
			probe: newDynamoDBProbe(),
		},
		{
			name:  cognitoLocalName,
			short: "cognito",
			port:  opt.CognitoPort,
			command: func(port int, _ string) (string, []string, []string) {
				// HOST also sets the token issuer (http://HOST:PORT/<pool>),
				// so it must match the endpoint clients use.
				return node, []string{filepath.Join(root, cognitoScript)},
					[]string{"PORT=" + strconv.Itoa(port), "HOST=" + localhost}
			},
			probe: probeCognito,
		},
		{
			name:  sesLocalName,
			short: "ses",
			port:  opt.SESPort,
			command: func(port int, _ string) (string, []string, []string) {
				return node, []string{filepath.Join(root, sesScript), "--host", localhost, "--port", strconv.Itoa(port)}, nil
			},
			probe: probeSES,
		},
		{
			name:  s3rverName,
			short: "s3",
			port:  opt.S3Port,
			command: func(port int, workDir string) (string, []string, []string) {
				return node, []string{filepath.Join(root, s3Script),
					// Buckets and objects live in the emulator's own temp
					// dir, so they go with the stack.
					"--directory", workDir,
					"--address", localhost, "--port", strconv.Itoa(port),
					// Otherwise every request is logged, bucket and key
					// included, which drowns the other emulators' output.
					"--silent",
					// Path-style addressing only: with virtual hosts on, a
					// request to any host name but localhost (such as
					// host.docker.internal under sam local) is taken to
					// name a bucket.
					"--no-vhost-buckets",
				}, nil
			},
			probe: probeS3,
		},
	}
	return specs, problems
}

// emulatorEnv returns the environment for an emulator: ours minus variables
// that would change its behaviour in unsafe or confusing ways, plus extra.
func emulatorEnv(extra []string) []string {
	drop := map[string]bool{
		// cognito-local logs request bodies (passwords, tokens) at debug
		// level and in dev mode; keep secrets out of the logs.
		"DEBUG": true, "COGNITO_LOCAL_DEVMODE": true,
		// cognito-local uses CODE as a fixed verification/temporary code.
		"CODE": true,
		// aws-ses-v2-local relays every email to this SMTP server when set:
		// local runs must never send real mail.
		"SMTP_TRANSPORT": true,
		// Set explicitly per emulator.
		"PORT": true, "HOST": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	// cognito-local bundles the v2 JS SDK, which prints an end-of-support
	// banner on every start; it is noise in test output.
	env = append(env, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1")
	return append(env, extra...)
}

// newDynamoDBProbe returns a probe that succeeds once ListTables works,
// which proves the JVM is up and the storage engine (native SQLite) loaded.
// The SDK client is reused across polls (one per endpoint, which changes only
// when a port is retried) instead of building a new transport every 100 ms.
func newDynamoDBProbe() func(ctx context.Context, endpoint string) error {
	var (
		client      *dynamodb.Client
		forEndpoint string
	)
	return func(ctx context.Context, endpoint string) error {
		if client == nil || forEndpoint != endpoint {
			client = dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) {
				o.BaseEndpoint = aws.String(endpoint)
				// The readiness loop does its own polling; SDK retries would
				// only stretch each probe past its timeout.
				o.Retryer = aws.NopRetryer{}
			})
			forEndpoint = endpoint
		}
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		return err
	}
}

// probeCognito succeeds once cognito-local answers a real API call. A raw
// request (rather than the SDK) keeps the probe free of retries and signing.
func probeCognito(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(`{"MaxResults":1}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ListUserPools")
	return doProbe(req)
}

// probeSES succeeds once aws-ses-v2-local serves its store endpoint.
func probeSES(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/store", nil)
	if err != nil {
		return err
	}
	return doProbe(req)
}

// probeS3 succeeds once s3rver lists its buckets. The request is unsigned,
// which s3rver serves (it treats it as anonymous), so the probe needs no
// credentials.
func probeS3(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
	if err != nil {
		return err
	}
	return doProbe(req)
}

// doProbe sends req and requires a 200 response.
func doProbe(req *http.Request) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE)
}
