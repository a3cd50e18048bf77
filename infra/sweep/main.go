// Command sweep runs the scheduled sweep of shares that end (package expiry) once, against the
// local stack that `make run` started (it reads .local/stack.json): what the deployed
// sweep-shares function does every 15 minutes. `-at` runs it as if it were another time, to
// see the three-day warnings and the expiries without waiting for them.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/expiry"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}

func run() error {
	stateDir := flag.String("state-dir", ".local", "where `make run` wrote stack.json")
	at := flag.String("at", "", "run as if it were this time (RFC 3339); default now")
	flag.Parse()
	now := time.Now().UTC()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("-at: %w", err)
		}
		now = t.UTC()
	}
	raw, err := os.ReadFile(filepath.Join(*stateDir, "stack.json"))
	if err != nil {
		return fmt.Errorf("read the local stack's address (start it with make run first): %w", err)
	}
	var sf struct {
		DynamoDBEndpoint string `json:"dynamodbEndpoint"`
		SESEndpoint      string `json:"sesEndpoint"`
		TableName        string `json:"tableName"`
		AppBaseURL       string `json:"appBaseUrl"`
		MailFrom         string `json:"mailFrom"`
	}
	if err := json.Unmarshal(raw, &sf); err != nil {
		return fmt.Errorf("stack.json: %w", err)
	}
	stack := &localstack.Stack{DynamoDBEndpoint: sf.DynamoDBEndpoint, SESEndpoint: sf.SESEndpoint}
	clock := func() time.Time { return now }
	st := store.New(stack.DynamoDB(), sf.TableName)
	notify := accessmail.New(st, sesmail.New(stack.SES(), sf.MailFrom), sf.AppBaseURL, clock)
	rep, err := expiry.New(st, notify, store.RecordExpiry, clock, api.NewLogger(os.Stderr)).Run(context.Background())
	fmt.Printf("swept at %s: %d shares with an end in range, %d warned, %d expired, %d emails, %d not finished\n",
		now.Format(time.RFC3339), rep.Scanned, rep.Reminded, rep.Expired, rep.Emails, rep.Failures)
	return err
}
