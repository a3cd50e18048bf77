package localstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
)

// Environment variables understood by the test helpers.
const (
	// EnvDynamoDBEndpoint, EnvCognitoEndpoint, EnvSESEndpoint and
	// EnvS3Endpoint, when all four are set, make ForTest use already-running
	// emulators (e.g. the dev server's) instead of starting its own.
	EnvDynamoDBEndpoint = "CASESCRIBE_DYNAMODB_ENDPOINT"
	EnvCognitoEndpoint  = "CASESCRIBE_COGNITO_ENDPOINT"
	EnvSESEndpoint      = "CASESCRIBE_SES_ENDPOINT"
	EnvS3Endpoint       = "CASESCRIBE_S3_ENDPOINT"
	// EnvRequireEmulators set to "1" turns "emulators unavailable" from a
	// skip into a test failure; CI sets it so a broken setup cannot pass as
	// a run of skipped tests.
	EnvRequireEmulators = "CASESCRIBE_REQUIRE_EMULATORS"
	// EnvEmulatorLog set to "1" copies the emulators' output to stderr, for
	// debugging a failing start.
	EnvEmulatorLog = "CASESCRIBE_EMULATOR_LOG"
)

// testStartTimeout bounds the shared stack's startup. It is above
// readyTimeout so the per-emulator error (with output) wins over a bare
// context deadline.
const testStartTimeout = 90 * time.Second

// shared is the one stack of a test binary. The first ForTest call starts it;
// a failure is remembered so every test skips (or fails) with the same
// reason without retrying a slow start.
var shared struct {
	once  sync.Once
	mu    sync.Mutex
	stack *Stack
	err   error
}

// ForTest returns the test binary's shared emulator stack, starting it on
// first use. Tests using it should create their own tables, user pools and
// buckets (NewTestTable, NewTestUserPool, NewTestBucket) so they stay independent and may run in
// parallel. If the emulators cannot be started the test is skipped, or fails
// when CASESCRIBE_REQUIRE_EMULATORS=1. Call StopTestStack from TestMain.
func ForTest(tb testing.TB) *Stack {
	tb.Helper()
	shared.once.Do(func() {
		s, err := startShared()
		shared.mu.Lock()
		shared.stack, shared.err = s, err
		shared.mu.Unlock()
	})
	shared.mu.Lock()
	s, err := shared.stack, shared.err
	shared.mu.Unlock()
	if err != nil {
		if os.Getenv(EnvRequireEmulators) == "1" {
			tb.Fatalf("emulators unavailable (%s=1): %v", EnvRequireEmulators, err)
		}
		tb.Skipf("emulators unavailable: %v", err)
	}
	return s
}

// startShared connects to external emulators or starts a stack.
func startShared() (*Stack, error) {
	keys := []string{EnvDynamoDBEndpoint, EnvCognitoEndpoint, EnvSESEndpoint, EnvS3Endpoint}
	endpoints := map[string]string{}
	var missing []string
	for _, k := range keys {
		endpoints[k] = strings.TrimRight(os.Getenv(k), "/")
		if endpoints[k] == "" {
			missing = append(missing, k)
		}
	}
	switch len(missing) {
	case 0:
		return &Stack{
			DynamoDBEndpoint: endpoints[EnvDynamoDBEndpoint],
			CognitoEndpoint:  endpoints[EnvCognitoEndpoint],
			SESEndpoint:      endpoints[EnvSESEndpoint],
			S3Endpoint:       endpoints[EnvS3Endpoint],
		}, nil
	case len(keys):
		// None set: start a stack of our own, below.
	default:
		// A partial set is almost certainly a mistake; silently starting
		// fresh emulators would hide it.
		return nil, fmt.Errorf("set all of %s or none; missing %s",
			strings.Join(keys, ", "), strings.Join(missing, ", "))
	}

	var log io.Writer
	if os.Getenv(EnvEmulatorLog) == "1" {
		log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), testStartTimeout)
	defer cancel()
	return Start(ctx, Options{Log: log})
}

// StopTestStack stops the shared stack if ForTest started one. Call it from
// TestMain after m.Run. Without it the emulators still die with the test
// binary on Linux (parent-death signal), but their temp dirs are left behind.
// ForTest calls after StopTestStack skip or fail. A failure to stop is
// reported on stderr, as TestMain has no test to fail at that point.
func StopTestStack() {
	// Settle the Once before taking the lock (the Once body takes it too), so
	// a late ForTest cannot start a new stack that nobody stops.
	shared.once.Do(func() {})
	shared.mu.Lock()
	defer shared.mu.Unlock()
	s := shared.stack
	shared.stack = nil
	if shared.err == nil {
		shared.err = errors.New("test stack already stopped (ForTest called after StopTestStack)")
	}
	if s == nil {
		return
	}
	if err := s.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "localstack: stop test stack: %v\n", err)
	}
}

// NewTestTable creates a table with a random name ("t-" + 12 hex digits) and
// the schema from template.yaml in the shared stack, and deletes it when the
// test ends. It returns the table name.
func NewTestTable(tb testing.TB) string {
	tb.Helper()
	s := ForTest(tb)
	name := "t-" + randomHex(tb, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CreateTable(ctx, s.DynamoDB(), "", name); err != nil {
		tb.Fatalf("new test table: %v", err)
	}
	tb.Cleanup(func() {
		// tb.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.DynamoDB().DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			tb.Errorf("delete test table %s: %v", name, err)
		}
	})
	return name
}

// NewTestUserPool creates a user pool and app client (see CreateUserPool) in
// the shared stack and deletes the pool when the test ends.
func NewTestUserPool(tb testing.TB) (poolID, clientID string) {
	tb.Helper()
	s := ForTest(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	poolID, clientID, err := CreateUserPool(ctx, s.Cognito(), "p-"+randomHex(tb, 6))
	if err != nil {
		tb.Fatalf("new test user pool: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.Cognito().DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)}); err != nil {
			tb.Errorf("delete test user pool %s: %v", poolID, err)
		}
	})
	return poolID, clientID
}

// NewTestBucket creates a bucket with a random name ("b-" + 12 hex digits) in
// the shared stack's s3rver, and empties and deletes it when the test ends. It
// returns the bucket name.
func NewTestBucket(tb testing.TB) string {
	tb.Helper()
	s := ForTest(tb)
	name := "b-" + randomHex(tb, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		tb.Fatalf("new test bucket: %v", err)
	}
	tb.Cleanup(func() {
		// tb.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := deleteBucket(ctx, s.S3(), name); err != nil {
			tb.Errorf("delete test bucket %s: %v", name, err)
		}
	})
	return name
}

// deleteBucket deletes every object of bucket, then the bucket: S3 refuses
// to delete a bucket that still holds objects.
func deleteBucket(ctx context.Context, client *s3.Client, bucket string) error {
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		var objects []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			objects = append(objects, s3types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &s3types.Delete{Objects: objects, Quiet: aws.Bool(true)},
		}); err != nil {
			return err
		}
	}
	_, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	var notFound *s3types.NoSuchBucket
	if errors.As(err, &notFound) {
		return nil
	}
	return err
}

// randomHex returns 2n random hex digits.
func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("random name: %v", err)
	}
	return hex.EncodeToString(b)
}

// DeadSES returns a real SES client whose endpoint refuses connections, for tests of what the
// product does when email cannot be sent: a genuine network failure, not a fake client.
func DeadSES(tb testing.TB) *ses.Client {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("reserve a port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatalf("free the port: %v", err)
	}
	return ses.NewFromConfig(awsConfig(), func(o *ses.Options) {
		o.BaseEndpoint = aws.String("http://" + addr)
		o.RetryMaxAttempts = 1
	})
}
