package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// scriptDB answers GetItem with no item and each TransactWriteItems with the next of answers
// (nil once they run out), recording what it was sent.
type scriptDB struct {
	DB
	answers []error
	sent    []*dynamodb.TransactWriteItemsInput
}

func (d *scriptDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

func (d *scriptDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.sent = append(d.sent, in)
	if len(d.answers) == 0 {
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	err := d.answers[0]
	d.answers = d.answers[1:]
	return nil, err
}

func testRecord() audit.Record {
	return audit.Record{OrgID: "ORG", At: time.Now(), Action: audit.ShareRemove}
}

func TestAuditingDBTransactions(t *testing.T) {
	tests := []struct {
		name    string
		own     int
		answers []error
		// sends is how many transactions go out; code the answer's code ("" success, "sdk"
		// the last SDK error untouched).
		sends int
		code  string
	}{
		{"appended", 3, nil, 1, ""},
		{"standalone", 0, nil, 1, ""},
		{"head taken, then appended", 3, []error{cancelled("None", "None", "None", "None", "ConditionalCheckFailed")}, 2, ""},
		{"entry taken, then appended", 1, []error{cancelled("None", "ConditionalCheckFailed", "None")}, 2, ""},
		{"own condition is the method's answer", 3, []error{cancelled("ConditionalCheckFailed", "None", "None", "None", "ConditionalCheckFailed")}, 1, "sdk"},
		{"a race already retried below is answered", 1, []error{cancelled("None", "None", "TransactionConflict")}, 1, "sdk"},
		{"head always taken", 1, repeat(cancelled("None", "None", "ConditionalCheckFailed"), auditAttempts), auditAttempts, casescribe.ECONFLICT},
		{"98 items fit", 98, nil, 1, ""},
		{"99 items do not", 99, nil, 0, casescribe.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &scriptDB{answers: tt.answers}
			d := auditingDB{DB: db, table: "T"}
			in := &dynamodb.TransactWriteItemsInput{TransactItems: make([]types.TransactWriteItem, tt.own)}
			_, err := d.TransactWriteItems(WithAudit(context.Background(), testRecord()), in)
			switch {
			case len(db.sent) != tt.sends:
				t.Errorf("%d transactions sent, want %d", len(db.sent), tt.sends)
			case tt.code == "sdk":
				var tce *types.TransactionCanceledException
				if !errors.As(err, &tce) {
					t.Errorf("err = %v, want the cancellation untouched", err)
				}
			case casescribe.ErrorCode(err) != tt.code || (tt.code == "" && err != nil):
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
			for _, sent := range db.sent {
				if len(sent.TransactItems) != tt.own+auditTransactItems || sent.TransactItems[tt.own].Put == nil {
					t.Errorf("sent %d items, want the %d own first and the entry and head after", len(sent.TransactItems), tt.own)
				}
			}
			if len(in.TransactItems) != tt.own {
				t.Errorf("the caller's input changed to %d items", len(in.TransactItems))
			}
		})
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

// A single-item write is sent as a transaction with the audit items, and a failure of its own
// condition comes back as the single write's would.
func TestAuditingDBSingleItemWrites(t *testing.T) {
	old := map[string]types.AttributeValue{"role": &types.AttributeValueMemberS{Value: "guest"}}
	ownFailed := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
		{Code: aws.String("ConditionalCheckFailed"), Item: old}, {Code: aws.String("None")}, {Code: aws.String("None")}}}
	tests := []struct {
		name   string
		answer error
		write  func(context.Context, auditingDB) error
		ccf    bool
	}{
		{"put", nil, func(ctx context.Context, d auditingDB) error {
			_, err := d.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("T")})
			return err
		}, false},
		{"put refused", ownFailed, func(ctx context.Context, d auditingDB) error {
			_, err := d.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("T")})
			return err
		}, true},
		{"update refused", ownFailed, func(ctx context.Context, d auditingDB) error {
			_, err := d.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("T")})
			return err
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &scriptDB{}
			if tt.answer != nil {
				db.answers = []error{tt.answer}
			}
			err := tt.write(WithAudit(context.Background(), testRecord()), auditingDB{DB: db, table: "T"})
			var ccf *types.ConditionalCheckFailedException
			if got := errors.As(err, &ccf); got != tt.ccf || (!tt.ccf && err != nil) {
				t.Fatalf("err = %v, want a failed condition: %v", err, tt.ccf)
			}
			if tt.ccf && ccf.Item["role"] == nil {
				t.Error("the old item of the failed condition was lost")
			}
			if len(db.sent) != 1 || len(db.sent[0].TransactItems) != 1+auditTransactItems {
				t.Errorf("sent %d transactions", len(db.sent))
			}
		})
	}
	// An update that needs the new item back cannot be audited: a transaction returns none.
	d := auditingDB{DB: &scriptDB{}, table: "T"}
	if _, err := d.UpdateItem(WithAudit(context.Background(), testRecord()), &dynamodb.UpdateItemInput{ReturnValues: types.ReturnValueAllNew}); err == nil {
		t.Error("an audited UpdateItem returning values was accepted")
	}
}

// One record is appended once, by the first write of the call it is passed to.
func TestAuditRecordIsUsedOnce(t *testing.T) {
	db := &scriptDB{}
	d := auditingDB{DB: db, table: "T"}
	ctx := WithAudit(context.Background(), testRecord())
	for range 2 {
		if _, err := d.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: make([]types.TransactWriteItem, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := []int{len(db.sent[0].TransactItems), len(db.sent[1].TransactItems)}; got[0] != 3 || got[1] != 1 {
		t.Errorf("items sent = %v, want [3 1]", got)
	}
}
