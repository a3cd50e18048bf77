// Command migrate turns every membership still in the shape of the retired client-level
// sharing (a visibleClients list of client ids) into client-scope shares, all at once, behind
// `make migrate-sharing`. The authorizer does the same for one membership on its first use,
// so running this is optional; it is for finishing the migration without waiting for every
// guest to come back.
//
// It is idempotent and resumable: each membership is migrated in transactions conditioned on
// its list, so a rerun makes nothing twice, and after each page of the table scan it prints a
// token that continues a stopped run with -from.
//
//	go run ./infra/migrate -table <name> [-endpoint http://127.0.0.1:8000] [-region eu-west-1]
//	                       [-from <token>] [-page-size 100] [-max-pages 0]
//
// It exits 1 on an error (resume with the last token printed) and 2 when some memberships
// raced another change (run it again from the start to finish them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// errConflicts says the run finished but left memberships to a later run.
var errConflicts = errors.New("some memberships changed during their migration")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := migrate(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case errors.Is(err, errConflicts):
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

// migrate parses the flags, connects to DynamoDB and runs the migration, reporting to out.
func migrate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	table := fs.String("table", "", "the DynamoDB table (required)")
	endpoint := fs.String("endpoint", os.Getenv("DYNAMODB_ENDPOINT"), "DynamoDB endpoint, e.g. DynamoDB Local's; empty for AWS (default $DYNAMODB_ENDPOINT)")
	region := fs.String("region", os.Getenv("AWS_REGION"), "AWS region (default $AWS_REGION)")
	from := fs.String("from", "", "resume token printed by a stopped run")
	pageSize := fs.Int("page-size", 100, "items evaluated per scan page")
	maxPages := fs.Int("max-pages", 0, "stop after this many pages (0: read the whole table)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *table == "":
		return errors.New("-table is required")
	case *pageSize < 1 || *pageSize > 1000:
		return errors.New("-page-size must be between 1 and 1000")
	case *maxPages < 0:
		return errors.New("-max-pages must not be negative")
	}
	db, err := client(ctx, *endpoint, *region)
	if err != nil {
		return err
	}
	totals, err := run(ctx, db, Options{Table: *table, From: *from, PageSize: int32(*pageSize), MaxPages: *maxPages}, out)
	fmt.Fprintf(out, "total: %d pages, %d memberships scanned, %d migrated, %d shares created, %d conflicts to retry\n",
		totals.Pages, totals.Scanned, totals.Migrated, totals.Created, totals.Conflicts)
	switch {
	case err != nil:
		if totals.Next != "" {
			return fmt.Errorf("%w (resume with -from %s)", err, totals.Next)
		}
		return fmt.Errorf("%w (run again from the start)", err)
	case !totals.Done:
		fmt.Fprintf(out, "stopped after %d pages; continue with -from %s\n", totals.Pages, totals.Next)
	}
	if totals.Conflicts > 0 {
		fmt.Fprintf(out, "%d memberships changed during their migration; run again from the start (no -from) to finish them\n", totals.Conflicts)
		return errConflicts
	}
	return nil
}

// client returns the DynamoDB client. Against AWS the usual credential chain applies (profiles,
// SSO, environment), which an operator's machine needs and Lambda binaries never import; a
// local endpoint accepts any credentials, so none need to be set for it.
func client(ctx context.Context, endpoint, region string) (*dynamodb.Client, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if endpoint != "" {
		if region == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: pass -region or set AWS_REGION")
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}
