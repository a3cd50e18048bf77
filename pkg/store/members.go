package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// ListMembers returns one page of the organization's members, in user id order.
func (s *Store) ListMembers(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Membership], error) {
	items, next, err := s.queryPrefix(ctx, orgID, memberPrefix, "members", cursor, limit, ValidUserID)
	if err != nil {
		return casescribe.Page[casescribe.Membership]{}, err
	}
	return decodePage[casescribe.Membership, membershipItem](items, next)
}

// ChangeRole changes the role of m, as read, to another, in one transaction with the
// organization's count of admins, and returns the changed membership. Returns ECONFLICT if
// the role changed meanwhile, the person left, they are the last admin, or they are a guest
// who still holds shares.
func (s *Store) ChangeRole(ctx context.Context, m casescribe.Membership, to casescribe.Role) (casescribe.Membership, error) {
	orgID, userID, from := m.OrgID, m.UserID, m.Role
	if from == to {
		return m, nil
	}
	cond := mustExist().And(expression.Name("role").Equal(expression.Value(string(from))))
	if from == casescribe.RoleGuest {
		// Only guests hold shares: a guest becomes staff only once none is left, so that no
		// share is ever held by someone who is not a guest (a share made meanwhile counts).
		cond = cond.And(sharesCounted(0))
	}
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("role"), expression.Value(string(to)))).
		WithCondition(cond).Build()
	if err != nil {
		return casescribe.Membership{}, fmt.Errorf("build role change: %w", err)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: &s.table,
		Key: key(orgPK(orgID), memberSK(userID)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}}
	if delta := adminDelta(to) - adminDelta(from); delta != 0 {
		count, err := s.adminCount(orgID, delta, keepsAnAdmin(delta))
		if err != nil {
			return casescribe.Membership{}, err
		}
		items = append(items, types.TransactWriteItem{Update: count})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	switch {
	case from == casescribe.RoleGuest && conditionFailed(err, 0) && errors.As(err, &tce) &&
		attributeString(tce.CancellationReasons[0].Item, "role") == string(from):
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ECONFLICT, "This guest still has access to shared cases: remove their shares before changing their role.")
	case conditionFailed(err, 0):
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ECONFLICT, "This person's role changed meanwhile, or they left; reload and try again.")
	case conditionFailed(err, 1):
		return casescribe.Membership{}, lastAdmin()
	case err != nil:
		return casescribe.Membership{}, convert("change role", err)
	}
	m.Role = to
	return m, nil
}

// RemoveMember removes a person from one organization, with their email reservation there, in
// one transaction; their other organizations are untouched. m must be the membership as read:
// if its role changed meanwhile, the removal is refused. Returns ENOTFOUND if they are not a
// member, ECONFLICT if they are the last admin.
func (s *Store) RemoveMember(ctx context.Context, m casescribe.Membership) error {
	shares, err := s.guestShares(ctx, m.OrgID, m.UserID)
	if err != nil {
		return err
	}
	memberCond := mustExist().And(expression.Name("role").Equal(expression.Value(string(m.Role)))).
		And(sharesCounted(len(shares)))
	memberExpr, err := expression.NewBuilder().WithCondition(memberCond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	emailCond := expression.Or(expression.AttributeNotExists(expression.Name("PK")),
		expression.Name("userId").Equal(expression.Value(m.UserID)))
	emailExpr, err := expression.NewBuilder().WithCondition(emailCond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(m.OrgID), memberSK(m.UserID)),
			ConditionExpression: memberExpr.Condition(), ExpressionAttributeNames: memberExpr.Names(),
			ExpressionAttributeValues: memberExpr.Values()}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(m.OrgID), emailSK(m.Email)),
			ConditionExpression: emailExpr.Condition(), ExpressionAttributeNames: emailExpr.Names(),
			ExpressionAttributeValues: emailExpr.Values()}},
	}
	// Their shares go with them: a later invitation starts from nothing.
	more, err := s.cascade(shares, true, false)
	if err != nil {
		return err
	}
	if items = append(items, more...); len(items) > maxTransactItems-1 {
		return tooManyShares("person")
	}
	adminAt := -1
	if m.Role == casescribe.RoleAdmin {
		count, err := s.adminCount(m.OrgID, -1, keepsAnAdmin(-1))
		if err != nil {
			return err
		}
		adminAt = len(items)
		items = append(items, types.TransactWriteItem{Update: count})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	switch {
	case conditionFailed(err, 0):
		return casescribe.Errorf(casescribe.ECONFLICT, "This person's role or access changed meanwhile, or they left; reload and try again.")
	case adminAt >= 0 && conditionFailed(err, adminAt):
		return lastAdmin()
	}
	return convert("remove member", err)
}

// keepsAnAdmin is the condition on the organization's admin count for a change of delta: a
// decrease must leave at least one admin.
func keepsAnAdmin(delta int) expression.ConditionBuilder {
	if delta >= 0 {
		return mustExist()
	}
	return mustExist().And(expression.Name("adminCount").GreaterThan(expression.Value(-delta)))
}

func lastAdmin() error {
	return casescribe.Errorf(casescribe.ECONFLICT, "An organization needs at least one admin: make someone else admin first.")
}

// --- Invitations -----------------------------------------------------------------------------

// MemberOrInvitation says who holds an email address in an organization: a member (UserID) or
// a pending invitation (InvitationID), or neither.
type MemberOrInvitation struct {
	UserID       string
	InvitationID string
}

// EmailHolder returns who holds an email address in an organization; a zero value when nobody.
func (s *Store) EmailHolder(ctx context.Context, orgID, email string) (MemberOrInvitation, error) {
	var it emailItem
	err := s.get(ctx, orgPK(orgID), emailSK(email), "Email", &it)
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		return MemberOrInvitation{}, nil
	}
	if err != nil {
		return MemberOrInvitation{}, err
	}
	return MemberOrInvitation{UserID: it.UserID, InvitationID: it.InvitationID}, nil
}

// HasPendingInvitation reports whether email has an invitation to the organization that is not
// accepted yet (expired or not).
func (s *Store) HasPendingInvitation(ctx context.Context, orgID, email string) (bool, error) {
	h, err := s.EmailHolder(ctx, orgID, email)
	return h.InvitationID != "", err
}

// CreateInvitation stores a new invitation and reserves its email in the organization, in one
// transaction. staleInvitationID names an invitation that held the email but is gone (cleaned
// up after expiry), whose reservation may be taken over. Returns ECONFLICT if the email is
// held meanwhile.
func (s *Store) CreateInvitation(ctx context.Context, inv casescribe.Invitation, staleInvitationID string) error {
	invPut, err := s.put(newInviteItem(inv))
	if err != nil {
		return err
	}
	cond := expression.AttributeNotExists(expression.Name("PK"))
	if staleInvitationID != "" {
		cond = expression.Or(cond, expression.Name("invitationId").Equal(expression.Value(staleInvitationID)))
	}
	emailPut, err := s.putIf(inviteEmailItem(inv), cond)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{{Put: invPut}, {Put: emailPut}},
	})
	if conditionFailed(err, 1) {
		return casescribe.Errorf(casescribe.ECONFLICT, "Someone else invited or added this email just now; reload and try again.")
	}
	return convert("create invitation", err)
}

// putIf writes an item under cond.
func (s *Store) putIf(item any, cond expression.ConditionBuilder) (*types.Put, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return nil, fmt.Errorf("encode item: %w", err)
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &types.Put{TableName: &s.table, Item: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

// GetInvitation returns one invitation, expired or not. Returns ENOTFOUND if unknown.
func (s *Store) GetInvitation(ctx context.Context, orgID, invitationID string) (casescribe.Invitation, error) {
	var it inviteItem
	if err := s.get(ctx, orgPK(orgID), inviteSK(invitationID), "Invitation", &it); err != nil {
		return casescribe.Invitation{}, err
	}
	return it.domain(), nil
}

// ListInvitations returns one page of the organization's invitations, oldest first.
func (s *Store) ListInvitations(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Invitation], error) {
	items, next, err := s.queryPrefix(ctx, orgID, invitePrefix, "invitations", cursor, limit, validULID)
	if err != nil {
		return casescribe.Page[casescribe.Invitation]{}, err
	}
	return decodePage[casescribe.Invitation, inviteItem](items, next)
}

// ReissueInvitation replaces an invitation's token, expiry, name, role, inviter, mail status and
// request key with those of inv, whose Issue must be one more than the stored one: the previous
// token stops working at once, and of concurrent reissues exactly one wins, so each issue is
// made, and emailed, once. Returns ENOTFOUND if the invitation is gone, ECONFLICT if it was
// reissued meanwhile.
func (s *Store) ReissueInvitation(ctx context.Context, inv casescribe.Invitation) error {
	upd := expression.Set(expression.Name("tokenHash"), expression.Value(inv.TokenHash)).
		Set(expression.Name("issue"), expression.Value(inv.Issue)).
		Set(expression.Name("issuedAt"), expression.Value(inv.IssuedAt)).
		Set(expression.Name("expiresAt"), expression.Value(inv.ExpiresAt)).
		Set(expression.Name("ttl"), expression.Value(inv.ExpiresAt.Add(cleanupAfter).Unix())).
		Set(expression.Name("name"), expression.Value(inv.Name)).
		Set(expression.Name("role"), expression.Value(string(inv.Role))).
		Set(expression.Name("invitedBy"), expression.Value(inv.InvitedBy)).
		Set(expression.Name("inviterName"), expression.Value(inv.InviterName)).
		Set(expression.Name("mailStatus"), expression.Value(inv.MailStatus)).
		Set(expression.Name("requestKey"), expression.Value(inv.RequestKey))
	cond := mustExist().And(expression.Name("issue").Equal(expression.Value(inv.Issue - 1)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	// A transaction of one item, not UpdateItem: a reissue is audited, and its entry is added
	// to this transaction.
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.table, Key: key(orgPK(inv.OrgID), inviteSK(inv.ID)),
			UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}}})
	if conditionFailed(err, -1) {
		return casescribe.Errorf(casescribe.ECONFLICT, "This invitation changed meanwhile; reload and try again.")
	}
	return convert("reissue invitation", err)
}

// MarkMailFailed records that the email of an invitation's issue could not be sent. A mark for
// an issue that is no longer current is ignored.
func (s *Store) MarkMailFailed(ctx context.Context, orgID, invitationID string, issue int) error {
	cond := mustExist().And(expression.Name("issue").Equal(expression.Value(issue)))
	var it inviteItem
	err := s.update(ctx, key(orgPK(orgID), inviteSK(invitationID)),
		expression.Set(expression.Name("mailStatus"), expression.Value(casescribe.MailFailed)), cond, &it)
	if conditionFailed(err, -1) {
		return nil
	}
	return convert("mark invitation mail failed", err)
}

// RevokeInvitation deletes an invitation and frees its email, in one transaction. Returns
// ENOTFOUND if it is gone.
func (s *Store) RevokeInvitation(ctx context.Context, inv casescribe.Invitation) error {
	invExpr, err := expression.NewBuilder().WithCondition(mustExist()).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	emailCond := expression.Or(expression.AttributeNotExists(expression.Name("PK")),
		expression.Name("invitationId").Equal(expression.Value(inv.ID)))
	emailExpr, err := expression.NewBuilder().WithCondition(emailCond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(inv.OrgID), inviteSK(inv.ID)),
				ConditionExpression: invExpr.Condition(), ExpressionAttributeNames: invExpr.Names()}},
			{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(inv.OrgID), emailSK(inv.Email)),
				ConditionExpression: emailExpr.Condition(), ExpressionAttributeNames: emailExpr.Names(),
				ExpressionAttributeValues: emailExpr.Values()}},
		},
	})
	if conditionFailed(err, 0) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Invitation not found.")
	}
	return convert("revoke invitation", err)
}

// AcceptInvitation turns the invitation into an active membership of user, in one
// transaction whose first condition makes the token single-use: of concurrent accepts exactly
// one succeeds. The invitation must still carry tokenHash and be unexpired at now. Returns
// ENOTFOUND if it was used, revoked, reissued or expired meanwhile, ECONFLICT if user already
// belongs to the organization.
func (s *Store) AcceptInvitation(ctx context.Context, inv casescribe.Invitation, user casescribe.User, now time.Time) (casescribe.Membership, error) {
	invCond := mustExist().
		And(expression.Name("tokenHash").Equal(expression.Value(inv.TokenHash))).
		And(expression.Name("expiresAt").GreaterThan(expression.Value(now)))
	invExpr, err := expression.NewBuilder().WithCondition(invCond).Build()
	if err != nil {
		return casescribe.Membership{}, fmt.Errorf("build condition: %w", err)
	}
	m := casescribe.Membership{OrgID: inv.OrgID, OrgName: inv.OrgName, UserID: user.ID, Email: user.Email,
		Name: user.Name, Role: inv.Role, Status: casescribe.StatusActive, CreatedAt: now}
	memberPut, err := s.put(newMembershipItem(m))
	if err != nil {
		return casescribe.Membership{}, err
	}
	emailPut, err := s.putIf(memberEmailItem(inv.OrgID, inv.Email, user.ID),
		expression.Name("invitationId").Equal(expression.Value(inv.ID)))
	if err != nil {
		return casescribe.Membership{}, err
	}
	count, err := s.adminCount(inv.OrgID, adminDelta(inv.Role), mustExist())
	if err != nil {
		return casescribe.Membership{}, err
	}
	profile, err := s.profileUpdate(user)
	if err != nil {
		return casescribe.Membership{}, err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(inv.OrgID), inviteSK(inv.ID)),
				ConditionExpression: invExpr.Condition(), ExpressionAttributeNames: invExpr.Names(),
				ExpressionAttributeValues: invExpr.Values()}},
			{Put: memberPut},
			{Put: emailPut},
			{Update: count},
			{Update: profile},
		},
	})
	switch {
	case conditionFailed(err, 0):
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ENOTFOUND, "Invitation not found.")
	case conditionFailed(err, 1):
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ECONFLICT, "You already belong to this organization.")
	case err != nil:
		return casescribe.Membership{}, convert("accept invitation", err)
	}
	return m, nil
}
