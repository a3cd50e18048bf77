package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// ApplyShareChange carries out a planned change of before (the share as read, at its version)
// in one transaction: the share, the shares it replaces, the guest's grants and every counter
// move together, each under a condition on the state the plan was made from. Returns ECONFLICT
// if anything changed meanwhile (a stale version included), or if the guest already holds the
// access the change would give.
func (s *Store) ApplyShareChange(ctx context.Context, before casescribe.Share, plan access.Plan) error {
	after := plan.Result
	shareUpd, err := s.shareUpdate(before, after)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Update: shareUpd}}
	add := func(u *types.Update, err error) error {
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Update: u})
		return nil
	}
	switch plan.Kind {
	case access.ChangeNarrow:
		err = add(s.grantNarrow(before, after))
		if err == nil {
			err = add(s.shareTargetCounter(before, -1))
		}
		if err == nil {
			err = add(s.shareTargetCounter(after, 1))
		}
	case access.ChangeExpand:
		if !sameGuestCases(before, plan.Replaced) {
			return errPlanStale
		}
		held := append([]casescribe.Share{before}, plan.Replaced...)
		for _, r := range plan.Replaced {
			del, err := s.shareDelete(r)
			if err != nil {
				return err
			}
			items = append(items, types.TransactWriteItem{Delete: del})
		}
		err = add(s.grantExpand(before, after, held))
		for _, h := range held {
			if err == nil {
				err = add(s.shareTargetCounter(h, -1))
			}
		}
		if err == nil {
			err = add(s.shareTargetCounter(after, 1))
		}
		if err == nil && len(plan.Replaced) > 0 {
			err = add(s.counter(key(orgPK(before.OrgID), memberSK(before.GuestID)), "shareCount", -len(plan.Replaced), mustExist()))
		}
	case access.ChangeMove:
		if after.ClientID == before.ClientID {
			err = add(s.grantMoveWithin(before, after))
		} else {
			err = add(s.grantRemove(before))
			if err == nil {
				err = add(s.grantAdd(after))
			}
		}
		if err == nil {
			err = add(s.shareTargetCounter(before, -1))
		}
		if err == nil {
			err = add(s.shareTargetCounter(after, 1))
		}
	case access.ChangeConfigure:
		err = add(s.grantConfigure(before, after))
	case access.ChangeExpiry:
		if after.Scope == casescribe.ScopeCase {
			err = add(s.grantConfigure(before, after))
		} else {
			err = add(s.grantClientEnd(before, after))
		}
	default:
		return fmt.Errorf("apply share change: unknown kind %q", plan.Kind)
	}
	if err != nil {
		return err
	}
	views, err := s.viewCounters(append([]casescribe.Share{before}, plan.Replaced...), []casescribe.Share{after})
	if err != nil {
		return err
	}
	firstView := len(items)
	items = append(items, views...)
	chats, err := s.chatChecks(after)
	if err != nil {
		return err
	}
	firstChat := len(items)
	items = append(items, chats...)
	if len(items) > maxTransactItems {
		return casescribe.Errorf(casescribe.ECONFLICT, "This change touches too many shares at once; remove some of the guest's case shares first.")
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	switch {
	case conditionFailed(err, 0):
		return casescribe.Errorf(casescribe.ECONFLICT, "This share changed since it was read (stale version); preview the change again.")
	case viewFailed(err, 1, firstView-1):
		// Checked before the views: a view losing a share is gone only if its case was deleted
		// meanwhile, which fails the shares and grants of that case too.
		return errAccessChanged
	case viewFailed(err, firstView, len(views)):
		return errNoSuchView
	case viewFailed(err, firstChat, len(chats)):
		return errNoSuchChat
	case conditionFailed(err, -1):
		return errAccessChanged
	}
	return convert("apply share change", err)
}

var errAccessChanged = casescribe.Errorf(casescribe.ECONFLICT, "The guest's access changed meanwhile, or the guest already has access to that case; preview the change again.")

// errPlanStale refuses a change planned on reads that disagree with each other.
var errPlanStale = casescribe.Errorf(casescribe.ECONFLICT, "The guest's access changed meanwhile; preview the change again.")

// sameGuestCases reports whether replaced can be the guest's other case shares of before's
// client: each of another case than the others and than before. The plan reads the share, then
// its client's shares from an index; when the share was replaced meanwhile by another share of
// its case, the two disagree, and the transaction they would make is not a valid one.
func sameGuestCases(before casescribe.Share, replaced []casescribe.Share) bool {
	cases := map[string]bool{before.CaseID: true}
	for _, r := range replaced {
		if r.ID == before.ID || r.GuestID != before.GuestID || r.ClientID != before.ClientID ||
			r.Scope != casescribe.ScopeCase || cases[r.CaseID] {
			return false
		}
		cases[r.CaseID] = true
	}
	return true
}

// shareUpdate rewrites the share item from before to after, at before's version.
func (s *Store) shareUpdate(before, after casescribe.Share) (*types.Update, error) {
	upd := expression.Set(expression.Name("scope"), expression.Value(string(after.Scope))).
		Set(expression.Name("clientId"), expression.Value(after.ClientID)).
		Set(expression.Name("GSI1PK"), expression.Value(clientCasesKey(after.OrgID, after.ClientID))).
		Set(expression.Name("version"), expression.Value(after.Version)).
		Set(expression.Name("updatedAt"), expression.Value(after.UpdatedAt))
	setOrRemove := func(name string, v any, empty bool) {
		if empty {
			upd = upd.Remove(expression.Name(name))
		} else {
			upd = upd.Set(expression.Name(name), expression.Value(v))
		}
	}
	setOrRemove("caseId", after.CaseID, after.CaseID == "")
	setOrRemove("viewId", after.ViewID, after.ViewID == "")
	setOrRemove("chatIds", after.ChatIDs, len(after.ChatIDs) == 0)
	setOrRemove("expiresAt", after.ExpiresAt, after.ExpiresAt.IsZero())
	setOrRemove("since", after.Since, after.Since.IsZero())
	if after.ExpiresAt.IsZero() {
		upd = upd.Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK"))
	} else {
		pk, sk := expiryKey(after.OrgID, after.ID, after.ExpiresAt)
		upd = upd.Set(expression.Name("GSI2PK"), expression.Value(pk)).Set(expression.Name("GSI2SK"), expression.Value(sk))
	}
	cond := mustExist().And(expression.Name("version").Equal(expression.Value(before.Version)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build share update: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(orgPK(before.OrgID), shareSK(before.ID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

// grantUpdate builds an update of the guest's grant for one client.
func (s *Store) grantUpdate(orgID, guestID, clientID string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (*types.Update, error) {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build grant: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(orgPK(orgID), grantSK(guestID, clientID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

func caseEntry(caseID string) expression.NameBuilder { return expression.Name(grantCaseAttr + caseID) }

func holdsCase(sh casescribe.Share) expression.ConditionBuilder {
	return expression.Name(grantCaseAttr + sh.CaseID + ".shareId").Equal(expression.Value(sh.ID))
}

// grantNarrow turns the guest's client share into a share of one of its cases.
func (s *Store) grantNarrow(before, after casescribe.Share) (*types.Update, error) {
	upd := expression.Remove(expression.Name("clientShare")).Remove(expression.Name(clientShareEnd)).
		Set(caseEntry(after.CaseID), expression.Value(newCaseGrantValue(after))).
		Add(expression.Name("caseCount"), expression.Value(1))
	cond := expression.Name("clientShare").Equal(expression.Value(before.ID)).
		And(expression.AttributeNotExists(caseEntry(after.CaseID)))
	return s.grantUpdate(before.OrgID, before.GuestID, before.ClientID, upd, cond)
}

// grantExpand replaces every case share the guest holds in the client by the client share.
func (s *Store) grantExpand(before, after casescribe.Share, held []casescribe.Share) (*types.Update, error) {
	upd := setClientShare(expression.Set(expression.Name("caseCount"), expression.Value(0)), after)
	cond := expression.AttributeNotExists(expression.Name("clientShare")).
		And(expression.Name("caseCount").Equal(expression.Value(len(held))))
	for _, h := range held {
		upd = upd.Remove(caseEntry(h.CaseID))
		cond = cond.And(holdsCase(h))
	}
	return s.grantUpdate(before.OrgID, before.GuestID, before.ClientID, upd, cond)
}

// grantMoveWithin moves a case share to another case of the same client.
func (s *Store) grantMoveWithin(before, after casescribe.Share) (*types.Update, error) {
	upd := expression.Remove(caseEntry(before.CaseID)).
		Set(caseEntry(after.CaseID), expression.Value(newCaseGrantValue(after)))
	cond := holdsCase(before).And(expression.AttributeNotExists(caseEntry(after.CaseID))).
		And(expression.AttributeNotExists(expression.Name("clientShare")))
	return s.grantUpdate(before.OrgID, before.GuestID, before.ClientID, upd, cond)
}

// grantConfigure records a case share's new view.
func (s *Store) grantConfigure(before, after casescribe.Share) (*types.Update, error) {
	upd := expression.Set(caseEntry(after.CaseID), expression.Value(newCaseGrantValue(after)))
	return s.grantUpdate(before.OrgID, before.GuestID, before.ClientID, upd, holdsCase(before))
}

// grantClientEnd records a client share's new end (or that it has none).
func (s *Store) grantClientEnd(before, after casescribe.Share) (*types.Update, error) {
	upd := setClientShare(expression.UpdateBuilder{}, after)
	cond := expression.Name("clientShare").Equal(expression.Value(before.ID))
	return s.grantUpdate(before.OrgID, before.GuestID, before.ClientID, upd, cond)
}
