package s3files

import (
	"context"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestClampExpires(t *testing.T) {
	tests := []struct {
		in, want time.Duration
	}{
		{0, 5 * time.Minute},
		{-time.Second, 5 * time.Minute},
		{time.Nanosecond, time.Second},
		{500 * time.Millisecond, time.Second},
		{time.Second, time.Second},
		{1500 * time.Millisecond, time.Second},
		{90 * time.Second, 90 * time.Second},
		{5 * time.Minute, 5 * time.Minute},
		{5*time.Minute + time.Second, 5 * time.Minute},
		{24 * time.Hour, 5 * time.Minute},
	}
	cfg := aws.Config{Region: "eu-central-1"}
	for _, tt := range tests {
		if got := clampExpires(tt.in); got != tt.want {
			t.Errorf("clampExpires(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if got := New(cfg, "", "b", tt.in).expires; got != tt.want {
			t.Errorf("New(..., %s).expires = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// Signing needs no server: these check what the URLs state.
func TestSignedURLStatesItsExpiry(t *testing.T) {
	cfg := aws.Config{
		Region:      "eu-central-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}
	for _, expires := range []time.Duration{0, time.Second, 90 * time.Second, time.Hour} {
		f := New(cfg, "", "casescribe-documents", expires)
		want := clampExpires(expires)
		up, err := f.UploadURL(context.Background(), "org/case/doc", "application/pdf", 42)
		if err != nil {
			t.Fatalf("UploadURL: %v", err)
		}
		down, err := f.DownloadURL(context.Background(), "org/case/doc", "a.pdf")
		if err != nil {
			t.Fatalf("DownloadURL: %v", err)
		}
		for _, s := range []struct {
			name string
			url  string
			at   time.Time
		}{{"upload", up.URL, up.ExpiresAt}, {"download", down.URL, down.ExpiresAt}} {
			u, err := url.Parse(s.url)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := q.Get("X-Amz-Expires"); got != strconv.Itoa(int(want/time.Second)) {
				t.Errorf("%s with expires %s: X-Amz-Expires = %s, want %d", s.name, expires, got, want/time.Second)
			}
			date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
			if err != nil {
				t.Fatalf("%s: X-Amz-Date: %v", s.name, err)
			}
			if !s.at.Equal(date.Add(want)) {
				t.Errorf("%s with expires %s: ExpiresAt = %s, want X-Amz-Date + %s = %s", s.name, expires, s.at, want, date.Add(want))
			}
			if u.Scheme != "https" {
				t.Errorf("%s: scheme %q, want https", s.name, u.Scheme)
			}
		}
		if got, want := up.URL, "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"; !strings.Contains(got, want) {
			t.Errorf("upload URL %s does not sign content-length, content-type and host", got)
		}
	}
}

func TestAttachment(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"report.pdf", `attachment; filename="report.pdf"`},
		{"MRI scan (left knee).pdf", `attachment; filename="MRI scan (left knee).pdf"`},
		{`a "quoted" name.pdf`, `attachment; filename="a _quoted_ name.pdf"; filename*=UTF-8''a%20%22quoted%22%20name.pdf`},
		{`back\slash.txt`, `attachment; filename="back_slash.txt"; filename*=UTF-8''back%5Cslash.txt`},
		{"100%.txt", `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`},
		{"Röntgen.pdf", `attachment; filename="R_ntgen.pdf"; filename*=UTF-8''R%C3%B6ntgen.pdf`},
		{"報告.pdf", `attachment; filename="__.pdf"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf`},
		{"line\r\nSet-Cookie: x=1.pdf", `attachment; filename="lineSet-Cookie: x=1.pdf"`},
		{"bad\xffbyte.txt", `attachment; filename="bad_byte.txt"; filename*=UTF-8''bad%EF%BF%BDbyte.txt`},
		{"", `attachment; filename="download"`},
		{" \t ", `attachment; filename="download"`},
	}
	for _, tt := range tests {
		got := attachment(tt.name)
		if got != tt.want {
			t.Errorf("attachment(%q) = %s, want %s", tt.name, got, tt.want)
		}
		// Whatever the name, the header parses as an attachment (what a browser reads).
		if disp, _, err := mime.ParseMediaType(got); err != nil || disp != "attachment" {
			t.Errorf("attachment(%q) = %s does not parse: %q, %v", tt.name, got, disp, err)
		}
	}
}
