package awslambda

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/expiry"
	"github.com/casescribe/sharing/pkg/store"
)

// SweepHandler is the Lambda handler of the scheduled expiry sweep (an EventBridge Scheduler
// event, whose content it does not need).
type SweepHandler func(context.Context, events.EventBridgeEvent) (expiry.Report, error)

// Sweep builds the handler of the scheduled sweep of shares that end.
func Sweep() (SweepHandler, error) {
	log := logger()
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	st := store.New(cfg.DynamoDB(), cfg.TableName)
	now := func() time.Time { return time.Now().UTC() }
	var notify expiry.Notifier
	if m := cfg.Mailer(); m != nil {
		notify = accessmail.New(st, m, cfg.AppBaseURL, now)
	}
	sw := expiry.New(st, notify, store.RecordExpiry, now, log)
	return func(ctx context.Context, _ events.EventBridgeEvent) (expiry.Report, error) {
		return sw.Run(ctx)
	}, nil
}
