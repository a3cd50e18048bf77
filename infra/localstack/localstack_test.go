package localstack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
)

func TestMain(m *testing.M) {
	m.Run()
	StopTestStack()
}

// The tests without t.Parallel run first, before any emulator is started by
// the parallel ones, which lets them count this process's children.

func TestStartPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name     string
		opt      Options
		emulator string
	}{
		{name: "dynamodb", opt: Options{DynamoDBPort: port}, emulator: dynamoDBName},
		{name: "cognito", opt: Options{CognitoPort: port}, emulator: cognitoLocalName},
		{name: "ses", opt: Options{SESPort: port}, emulator: sesLocalName},
		{name: "s3", opt: Options{S3Port: port}, emulator: s3rverName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := childPIDs(t)
			s, err := Start(context.Background(), tt.opt)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Start() succeeded on a taken port %d", port)
			}
			want := "port " + strconv.Itoa(port) + " (" + tt.emulator + ") is already in use"
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Start() error = %q, want containing %q", err, want)
			}
			if after := childPIDs(t); len(after) != len(before) {
				t.Errorf("child processes: before Start %v, after failed Start %v", before, after)
			}
		})
	}
}

func TestStartDuplicatePorts(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), Options{DynamoDBPort: port, SESPort: port})
	want := "port " + strconv.Itoa(port) + " is requested for both " + dynamoDBName + " and " + sesLocalName
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Start() error = %v, want containing %q", err, want)
	}
}

func TestStartMissingPrerequisites(t *testing.T) {
	// An empty PATH hides java and node; an empty root lacks the installs.
	t.Setenv("PATH", t.TempDir())
	before := childPIDs(t)
	_, err := Start(context.Background(), Options{Root: t.TempDir()})
	if err == nil {
		t.Fatal("Start() succeeded without prerequisites")
	}
	for _, want := range []string{
		"java not found on PATH",
		"node not found on PATH",
		"infra/node_modules is missing",
		"infra/dynamodb-local/DynamoDBLocal.jar is missing",
		"run `make deps`",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start() error = %q, want containing %q", err, want)
		}
	}
	if after := childPIDs(t); len(after) != len(before) {
		t.Errorf("child processes: before Start %v, after failed Start %v", before, after)
	}
}

func TestStartSharedFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantDDB string
		wantS3  string
		wantErr string
	}{
		{
			name: "all set",
			env: map[string]string{
				EnvDynamoDBEndpoint: "http://127.0.0.1:8000/",
				EnvCognitoEndpoint:  "http://127.0.0.1:9229",
				EnvSESEndpoint:      "http://127.0.0.1:8005",
				EnvS3Endpoint:       "http://127.0.0.1:4568/",
			},
			wantDDB: "http://127.0.0.1:8000",
			wantS3:  "http://127.0.0.1:4568",
		},
		{
			name: "partial",
			env: map[string]string{
				EnvDynamoDBEndpoint: "http://127.0.0.1:8000",
				EnvCognitoEndpoint:  "",
				EnvSESEndpoint:      "http://127.0.0.1:8005",
				EnvS3Endpoint:       "http://127.0.0.1:4568",
			},
			wantErr: "missing " + EnvCognitoEndpoint,
		},
		{
			name: "all but S3",
			env: map[string]string{
				EnvDynamoDBEndpoint: "http://127.0.0.1:8000",
				EnvCognitoEndpoint:  "http://127.0.0.1:9229",
				EnvSESEndpoint:      "http://127.0.0.1:8005",
				EnvS3Endpoint:       "",
			},
			wantErr: "missing " + EnvS3Endpoint,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s, err := startShared()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("startShared() error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("startShared: %v", err)
			}
			if got := s.DynamoDBEndpoint; got != tt.wantDDB {
				t.Errorf("DynamoDBEndpoint = %q, want %q", got, tt.wantDDB)
			}
			if got := s.S3Endpoint; got != tt.wantS3 {
				t.Errorf("S3Endpoint = %q, want %q", got, tt.wantS3)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close() of an external stack = %v, want nil", err)
			}
		})
	}
}

func TestOutputWriter(t *testing.T) {
	tests := []struct {
		name      string
		writes    []string
		wantLog   string
		wantTaken bool
	}{
		{
			name:    "prefixes whole lines only",
			writes:  []string{"hello\nwor", "ld\n", "tail"},
			wantLog: "[x] hello\n[x] world\n[x] tail\n",
		},
		{
			name:      "java bind failure split across writes",
			writes:    []string{"java.net.BindException: Address al", "ready in use\n"},
			wantLog:   "[x] java.net.BindException: Address already in use\n",
			wantTaken: true,
		},
		{
			name:      "node EADDRINUSE",
			writes:    []string{"Error: listen EADDRINUSE: address already in use 127.0.0.1:9229\n"},
			wantLog:   "[x] Error: listen EADDRINUSE: address already in use 127.0.0.1:9229\n",
			wantTaken: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			w := newOutputWriter("x", &log)
			for _, s := range tt.writes {
				if _, err := w.Write([]byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			w.flush()
			if got := log.String(); got != tt.wantLog {
				t.Errorf("log = %q, want %q", got, tt.wantLog)
			}
			var taken bool
			select {
			case <-w.portTaken:
				taken = true
			default:
			}
			if taken != tt.wantTaken {
				t.Errorf("port taken = %v, want %v", taken, tt.wantTaken)
			}
			if got, want := w.tail(), strings.TrimSpace(strings.Join(tt.writes, "")); got != want {
				t.Errorf("tail() = %q, want %q", got, want)
			}
		})
	}
}

func TestDynamoDBPutGet(t *testing.T) {
	t.Parallel()
	s := ForTest(t)
	table := NewTestTable(t)
	ctx := t.Context()
	item := map[string]ddbtypes.AttributeValue{
		"PK":     &ddbtypes.AttributeValueMemberS{Value: "CASE#1"},
		"SK":     &ddbtypes.AttributeValueMemberS{Value: "META"},
		"GSI1PK": &ddbtypes.AttributeValueMemberS{Value: "ORG#1"},
		"GSI1SK": &ddbtypes.AttributeValueMemberS{Value: "CASE#1"},
		"Title":  &ddbtypes.AttributeValueMemberS{Value: "Smith v. Jones"},
	}
	if _, err := s.DynamoDB().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	out, err := s.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]ddbtypes.AttributeValue{"PK": item["PK"], "SK": item["SK"]},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	title, _ := out.Item["Title"].(*ddbtypes.AttributeValueMemberS)
	if title == nil || title.Value != "Smith v. Jones" {
		t.Errorf("GetItem Title = %#v, want %q", out.Item["Title"], "Smith v. Jones")
	}

	// The GSI from the template must exist and be queryable.
	q, err := s.DynamoDB().Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": item["GSI1PK"]},
	})
	if err != nil {
		t.Fatalf("Query GSI1: %v", err)
	}
	if got, want := q.Count, int32(1); got != want {
		t.Errorf("GSI1 query count = %d, want %d", got, want)
	}
}

func TestCognitoSignIn(t *testing.T) {
	t.Parallel()
	s := ForTest(t)
	poolID, clientID := NewTestUserPool(t)
	ctx := t.Context()
	const email, password = "counsel@example.com", "Correct-Horse-42"

	sub, err := CreateUser(ctx, s.Cognito(), poolID, email, password)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if sub == "" {
		t.Fatal("CreateUser returned an empty sub")
	}
	idToken, accessToken, err := SignIn(ctx, s.Cognito(), clientID, email, password)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token has %d parts, want 3", len(parts))
	}
	if accessToken == "" {
		t.Error("SignIn returned an empty access token")
	}

	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode ID token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("parse ID token claims: %v", err)
	}
	wantClaims := map[string]any{
		"sub":       sub,
		"email":     email,
		"token_use": "id",
		"aud":       clientID,
		"iss":       s.CognitoIssuer(poolID),
	}
	for k, want := range wantClaims {
		if got := claims[k]; got != want {
			t.Errorf("ID token claim %s = %v, want %v", k, got, want)
		}
	}

	if _, _, err := SignIn(ctx, s.Cognito(), clientID, email, "wrong-password"); err == nil {
		t.Error("SignIn with a wrong password succeeded")
	}
}

func TestSESSendEmail(t *testing.T) {
	t.Parallel()
	s := ForTest(t)
	ctx := t.Context()
	subject := "Case shared with you " + randomHex(t, 4)
	out, err := s.SES().SendEmail(ctx, &ses.SendEmailInput{
		Source:      aws.String("noreply@casescribe.test"),
		Destination: &sestypes.Destination{ToAddresses: []string{"guest@example.com"}},
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject)},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("Open the link to view the case.")}},
		},
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.SESEndpoint+"/store", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /store: %v", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			MessageID   string `json:"messageId"`
			From        string `json:"from"`
			Subject     string `json:"subject"`
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatalf("decode /store: %v", err)
	}
	for _, e := range store.Emails {
		if e.MessageID != aws.ToString(out.MessageId) {
			continue
		}
		if e.Subject != subject || e.From != "noreply@casescribe.test" || len(e.Destination.To) != 1 || e.Destination.To[0] != "guest@example.com" {
			t.Errorf("stored email = %+v, want subject %q from noreply@casescribe.test to guest@example.com", e, subject)
		}
		return
	}
	t.Errorf("email %s not found in /store (%d emails)", aws.ToString(out.MessageId), len(store.Emails))
}

func TestS3PutGet(t *testing.T) {
	t.Parallel()
	s := ForTest(t)
	bucket := NewTestBucket(t)
	ctx := t.Context()
	const key, body = "org-1/case-1/doc-1", "%PDF-1.7 knee MRI report"
	if _, err := s.S3().PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(bucket),
		Key:         aws.String(key),
		Body:        strings.NewReader(body),
		ContentType: aws.String("application/pdf"),
	}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := s.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read object: %v", err)
	}
	if string(got) != body {
		t.Errorf("object body = %q, want %q", got, body)
	}
	if got, want := aws.ToString(out.ContentType), "application/pdf"; got != want {
		t.Errorf("object content type = %q, want %q", got, want)
	}
}

// The documents bucket answers the web app's preflights as template.yaml says: PUT and GET
// with a Content-Type, from the app's origin only.
func TestDocumentsBucketCORS(t *testing.T) {
	t.Parallel()
	s := ForTest(t)
	bucket := "d-" + randomHex(t, 6)
	const app = "http://localhost:5173"
	if err := CreateDocumentsBucket(t.Context(), s.S3(), "", bucket, app); err != nil {
		t.Fatalf("CreateDocumentsBucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deleteBucket(ctx, s.S3(), bucket); err != nil {
			t.Errorf("delete bucket %s: %v", bucket, err)
		}
	})
	tests := []struct {
		origin, method string
		wantOK         bool
	}{
		{app, http.MethodPut, true},
		{app, http.MethodGet, true},
		{app, http.MethodDelete, false},
		{"https://evil.example", http.MethodPut, false},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, s.S3Endpoint+"/"+bucket+"/org/case/doc", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", tt.method)
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("preflight: %v", err)
		}
		resp.Body.Close()
		allowed := resp.StatusCode == http.StatusOK &&
			strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), tt.method) &&
			strings.EqualFold(resp.Header.Get("Access-Control-Allow-Headers"), "content-type")
		if allowed != tt.wantOK {
			t.Errorf("preflight %s from %s: status %d, headers %v; allowed = %v, want %v",
				tt.method, tt.origin, resp.StatusCode, resp.Header, allowed, tt.wantOK)
		}
	}
}

// TestStartClose starts a private stack to check that Close really kills the
// emulators and removes the temp dir, and that it is idempotent.
func TestStartClose(t *testing.T) {
	t.Parallel()
	ForTest(t) // skip (or fail) exactly like the other tests if unavailable

	ctx, cancel := context.WithTimeout(t.Context(), testStartTimeout)
	defer cancel()
	start := time.Now()
	// A relative root must work although the emulators run in temp dirs.
	s, err := Start(ctx, Options{Root: "../.."})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %s", time.Since(start).Round(time.Millisecond))
	if len(s.procs) != 4 {
		t.Fatalf("stack has %d processes, want 4", len(s.procs))
	}
	var pids []int
	for _, p := range s.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if runtime.GOOS != "windows" {
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("process %d still exists after Close (kill 0: %v)", pid, err)
			}
		}
	}
	if _, err := os.Stat(s.tmpDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s still exists after Close (stat: %v)", s.tmpDir, err)
	}
}

// childPIDs lists the direct children of this process (Linux only).
func childPIDs(t *testing.T) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	var kids []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process exited meanwhile
		}
		// Fields after the parenthesised command name: state, ppid, ...
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err == nil {
			kids = append(kids, pid)
		}
	}
	return kids
}

// TestStartEmulatorCrash uses fake emulators that die at once, to check the
// error names each emulator with its last output and nothing is left running.
func TestStartEmulatorCrash(t *testing.T) {
	for _, prog := range []string{"java", "node"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("%s not on PATH", prog)
		}
	}
	root := t.TempDir()
	files := map[string]string{
		cognitoScript:             `console.error("cognito boom"); process.exit(3);`,
		sesScript:                 `console.error("ses boom"); process.exit(4);`,
		s3Script:                  `console.error("s3 boom"); process.exit(5);`,
		dynamoDBJar:               "not a jar",
		dynamoDBLibDir + "/.keep": "",
	}
	for rel, content := range files {
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	before := childPIDs(t)
	_, err := Start(t.Context(), Options{Root: root})
	if err == nil {
		t.Fatal("Start() succeeded with crashing emulators")
	}
	for _, want := range []string{
		"start " + cognitoLocalName + ": exited before it was ready (exit status 3)",
		"cognito boom",
		"start " + sesLocalName + ": exited before it was ready (exit status 4)",
		"ses boom",
		"start " + s3rverName + ": exited before it was ready (exit status 5)",
		"s3 boom",
		"start " + dynamoDBName + ": exited before it was ready",
		"Invalid or corrupt jarfile",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start() error = %q, want containing %q", err, want)
		}
	}
	if after := childPIDs(t); len(after) != len(before) {
		t.Errorf("child processes: before Start %v, after failed Start %v", before, after)
	}
}

// helperEnv makes the test binary act as a process that starts a stack and
// then waits to be killed; see TestEmulatorsDieWithParent.
const helperEnv = "LOCALSTACK_TEST_HELPER"

func TestHelperStartAndHang(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestEmulatorsDieWithParent")
	}
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	var pids []string
	for _, p := range s.procs {
		pids = append(pids, strconv.Itoa(p.cmd.Process.Pid))
	}
	// The parent parses this line, then SIGKILLs us.
	os.Stdout.WriteString("READY " + s.tmpDir + " " + strings.Join(pids, " ") + "\n")
	time.Sleep(time.Minute)
}

// TestEmulatorsDieWithParent SIGKILLs a process that started a stack, so no
// Close runs, and checks the kernel's parent-death signal took the emulators
// down with it.
func TestEmulatorsDieWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux-only")
	}
	t.Parallel()
	ForTest(t) // skip (or fail) exactly like the other tests if unavailable

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartAndHang$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read helper output: %v (line %q)", err, line)
	}
	fields := strings.Fields(line)
	if len(fields) != 6 || fields[0] != "READY" {
		t.Fatalf("helper said %q, want READY <tmpdir> <4 pids>", line)
	}
	// The helper cannot clean up after SIGKILL; do it for it.
	t.Cleanup(func() { _ = os.RemoveAll(fields[1]) })

	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill helper: %v", err)
	}
	_ = cmd.Wait()

	deadline := time.Now().Add(5 * time.Second)
	for _, f := range fields[2:] {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad pid %q", f)
		}
		for {
			// The orphans are reaped by init; until then they may linger as
			// zombies, which hold no port or memory and count as dead here.
			if !processAlive(pid) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("emulator pid %d still alive after its parent was killed", pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// processAlive reports whether pid exists and is not a zombie (Linux).
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(data[i+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
