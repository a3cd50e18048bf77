package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// SharesEndingOn returns the shares listed in the expiry index under one UTC day: those whose
// end falls on that day, oldest end first, in every organization. It reads an index, which may
// lag a write by a moment: the sweep reads each share again before acting on it.
func (s *Store) SharesEndingOn(ctx context.Context, day time.Time) ([]casescribe.Share, error) {
	return s.indexShares(ctx, indexGSI2, expression.Key("GSI2PK").Equal(expression.Value(expiryDayKey(day))), "list ending shares")
}

// MarkReminded records that the advance warning of sh's current end is being sent, so that it
// is sent once. It leaves the version alone: a change being previewed stays valid. Returns
// ECONFLICT if the share changed since it was read, or this end was already announced.
func (s *Store) MarkReminded(ctx context.Context, sh casescribe.Share) error {
	cond := mustExist().And(expression.Name("version").Equal(expression.Value(sh.Version))).
		And(expression.Name("expiresAt").Equal(expression.Value(sh.ExpiresAt))).
		And(expression.Or(expression.AttributeNotExists(expression.Name("remindedFor")),
			expression.Name("remindedFor").NotEqual(expression.Value(sh.ExpiresAt))))
	upd := expression.Set(expression.Name("remindedFor"), expression.Value(sh.ExpiresAt))
	return s.reminderUpdate(ctx, sh, upd, cond)
}

// UnmarkReminded takes back MarkReminded when the warning could not be sent, so that the next
// sweep tries again. Returns ECONFLICT if the share changed meanwhile.
func (s *Store) UnmarkReminded(ctx context.Context, sh casescribe.Share) error {
	cond := mustExist().And(expression.Name("version").Equal(expression.Value(sh.Version))).
		And(expression.Name("remindedFor").Equal(expression.Value(sh.ExpiresAt)))
	return s.reminderUpdate(ctx, sh, expression.Remove(expression.Name("remindedFor")), cond)
}

func (s *Store) reminderUpdate(ctx context.Context, sh casescribe.Share, upd expression.UpdateBuilder, cond expression.ConditionBuilder) error {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build reminder: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(orgPK(sh.OrgID), shareSK(sh.ID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if conditionFailed(err, -1) {
		return casescribe.Errorf(casescribe.ECONFLICT, "This share changed meanwhile.")
	}
	return convert("mark reminder", err)
}
