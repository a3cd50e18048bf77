package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// Shares are kept twice, always in the same transaction: the share item (who, what, version:
// what people manage) and the guest's grant item for the share's client (what the guest may
// open: what access checks read, one strongly consistent GetItem). Counters on the
// membership, the case and the client count the shares that hang off them, so that deleting
// any of those is conditioned on deleting every share with it.

// maxTransactItems is DynamoDB's limit of items in one transaction.
const maxTransactItems = 100

// GetShare returns one share. Returns ENOTFOUND if unknown.
func (s *Store) GetShare(ctx context.Context, orgID, shareID string) (casescribe.Share, error) {
	var it shareItem
	if err := s.get(ctx, orgPK(orgID), shareSK(shareID), "Share", &it); err != nil {
		return casescribe.Share{}, err
	}
	return it.domain(), nil
}

// GetShares returns the shares with the given ids that exist, in batch reads.
func (s *Store) GetShares(ctx context.Context, orgID string, ids []string) ([]casescribe.Share, error) {
	return batchGet[casescribe.Share, shareItem](ctx, s, orgID, ids, shareSK)
}

// OrgShares returns every share of the organization, strongly consistent (the users
// directory's access column).
func (s *Store) OrgShares(ctx context.Context, orgID string) ([]casescribe.Share, error) {
	var out []casescribe.Share
	cursor := ""
	for {
		items, next, err := s.queryPrefix(ctx, orgID, sharePrefix, "shares", cursor, MaxLimit, validULID)
		if err != nil {
			return nil, err
		}
		page, err := decodePage[casescribe.Share, shareItem](items, next)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// ClientShares returns every share of a client's cases and of the client itself: the people
// with access, for the case and client pages. It reads an index, which may lag a write by a
// moment; access checks never use it.
func (s *Store) ClientShares(ctx context.Context, orgID, clientID string) ([]casescribe.Share, error) {
	keyCond := expression.Key("GSI1PK").Equal(expression.Value(clientCasesKey(orgID, clientID))).
		And(expression.Key("GSI1SK").BeginsWith(sharePrefix))
	return s.indexShares(ctx, indexGSI1, keyCond, "list client shares")
}

// indexShares reads every share an index query finds, page after page.
func (s *Store) indexShares(ctx context.Context, index string, keyCond expression.KeyConditionBuilder, what string) ([]casescribe.Share, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	var out []casescribe.Share
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(index),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values()})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, convert(what, err)
		}
		decoded, err := decodePage[casescribe.Share, shareItem](page.Items, "")
		if err != nil {
			return nil, err
		}
		out = append(out, decoded.Items...)
	}
	return out, nil
}

// GetGrant returns what a guest may open in one client: a zero Grant (no error) when nothing.
func (s *Store) GetGrant(ctx context.Context, orgID, guestID, clientID string) (casescribe.Grant, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table,
		Key: key(orgPK(orgID), grantSK(guestID, clientID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return casescribe.Grant{}, convert("get grant", err)
	}
	if res.Item == nil {
		return casescribe.Grant{ClientID: clientID}, nil
	}
	return decodeGrant(res.Item)
}

// GuestGrants returns everything a guest may open in the organization, one grant per client,
// read strongly consistent: a share removed a moment ago is not in it.
func (s *Store) GuestGrants(ctx context.Context, orgID, guestID string) ([]casescribe.Grant, error) {
	keyCond := expression.Key("PK").Equal(expression.Value(orgPK(orgID))).
		And(expression.Key("SK").BeginsWith(guestGrantsPrefix(guestID)))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	var out []casescribe.Grant
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, convert("list grants", err)
		}
		for _, raw := range page.Items {
			g, err := decodeGrant(raw)
			if err != nil {
				return nil, err
			}
			if g.ClientShareID != "" || len(g.Cases) > 0 {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func decodeGrant(raw map[string]types.AttributeValue) (casescribe.Grant, error) {
	var head struct {
		ClientID    string     `dynamodbav:"clientId"`
		ClientShare string     `dynamodbav:"clientShare"`
		ClientEnd   *time.Time `dynamodbav:"clientShareExpiresAt"`
	}
	if err := attributevalue.UnmarshalMap(raw, &head); err != nil {
		return casescribe.Grant{}, fmt.Errorf("decode grant: %w", err)
	}
	g := casescribe.Grant{ClientID: head.ClientID, ClientShareID: head.ClientShare,
		ClientShareExpiresAt: timeOf(head.ClientEnd), Cases: map[string]casescribe.CaseGrant{}}
	for name, av := range raw {
		caseID, ok := strings.CutPrefix(name, grantCaseAttr)
		if !ok {
			continue
		}
		var v caseGrantValue
		if err := attributevalue.Unmarshal(av, &v); err != nil {
			return casescribe.Grant{}, fmt.Errorf("decode grant entry: %w", err)
		}
		g.Cases[caseID] = casescribe.CaseGrant{ShareID: v.ShareID, ViewID: v.ViewID, ChatIDs: v.ChatIDs, ExpiresAt: timeOf(v.ExpiresAt)}
	}
	return g, nil
}

// Why adding a share may be refused by its grant.
var (
	errShareExists  = casescribe.Errorf(casescribe.ECONFLICT, "This guest already has access to this case.")
	errClientShared = casescribe.Errorf(casescribe.ECONFLICT, "This guest already has access to every case of this client, this one included.")
	errCasesShared  = casescribe.Errorf(casescribe.ECONFLICT, "This guest already has shares of cases of this client; change one of them to all cases for the client instead.")
)

// CreateShare stores a share, in one transaction with the guest's grant and the counters of
// the guest's membership and of the case (case scope) or client (client scope). Returns
// ECONFLICT if the guest already holds this access (or the whole client's), if a client share
// meets existing case shares, or if the guest or the case changed meanwhile.
func (s *Store) CreateShare(ctx context.Context, sh casescribe.Share) error {
	return s.CreateShareFrom(ctx, sh, "")
}

// CreateShareFrom is CreateShare for a share made from the Share dialog of case fromCaseID:
// a client share is then made only if that case still exists in the share's client, so that a
// share made from a case deleted meanwhile is refused (ENOTFOUND) as it would be once the
// deletion is seen. A case share is conditioned on its case already.
func (s *Store) CreateShareFrom(ctx context.Context, sh casescribe.Share, fromCaseID string) error {
	put, err := s.put(newShareItem(sh))
	if err != nil {
		return err
	}
	member, err := s.counter(key(orgPK(sh.OrgID), memberSK(sh.GuestID)), "shareCount", 1,
		mustExist().And(expression.Name("role").Equal(expression.Value(string(casescribe.RoleGuest)))).
			And(expression.Name("status").Equal(expression.Value(string(casescribe.StatusActive)))))
	if err != nil {
		return err
	}
	target, err := s.shareTargetCounter(sh, 1)
	if err != nil {
		return err
	}
	grant, err := s.grantAdd(sh)
	if err != nil {
		return err
	}
	views, err := s.viewCounters(nil, []casescribe.Share{sh})
	if err != nil {
		return err
	}
	chats, err := s.chatChecks(sh)
	if err != nil {
		return err
	}
	items := append([]types.TransactWriteItem{{Put: put}, {Update: member}, {Update: target}, {Update: grant}}, views...)
	items = append(items, chats...)
	fromCase := -1
	if sh.Scope == casescribe.ScopeClient && fromCaseID != "" {
		cc, err := s.caseCheck(sh.OrgID, fromCaseID, sh.ClientID)
		if err != nil {
			return err
		}
		fromCase = len(items)
		items = append(items, types.TransactWriteItem{ConditionCheck: cc})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	switch {
	case fromCase >= 0 && conditionFailed(err, fromCase):
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	case viewFailed(err, 4, len(views)):
		return errNoSuchView
	case viewFailed(err, 4+len(views), len(chats)):
		return errNoSuchChat
	case conditionFailed(err, 1):
		return casescribe.Errorf(casescribe.ECONFLICT, "This guest's membership changed meanwhile; reload and try again.")
	case conditionFailed(err, 2):
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	case conditionFailed(err, 3) && errors.As(err, &tce):
		old := tce.CancellationReasons[3].Item
		switch {
		case old["clientShare"] != nil:
			return errClientShared
		case sh.Scope == casescribe.ScopeClient:
			return errCasesShared
		default:
			return errShareExists
		}
	}
	return convert("create share", err)
}

// shareTargetCounter adds delta to the share count of what the share opens: its case (which
// must still belong to the share's client) or its client.
func (s *Store) shareTargetCounter(sh casescribe.Share, delta int) (*types.Update, error) {
	if sh.Scope == casescribe.ScopeCase {
		return s.counter(key(orgPK(sh.OrgID), caseSK(sh.CaseID)), "shareCount", delta,
			mustExist().And(expression.Name("clientId").Equal(expression.Value(sh.ClientID))))
	}
	return s.counter(key(orgPK(sh.OrgID), clientSK(sh.ClientID)), "shareCount", delta, mustExist())
}

// counter adds delta to a number attribute of an item under cond.
func (s *Store) counter(k map[string]types.AttributeValue, attr string, delta int, cond expression.ConditionBuilder) (*types.Update, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Add(expression.Name(attr), expression.Value(delta))).
		WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build counter: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: k, UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values()}, nil
}

// grantAdd records a new share in the guest's grant for its client. A case share needs the
// case not shared yet and no client share; a client share needs no share at all in the client.
func (s *Store) grantAdd(sh casescribe.Share) (*types.Update, error) {
	upd := expression.Set(expression.Name("type"), expression.Value(typeGrant)).
		Set(expression.Name("guestId"), expression.Value(sh.GuestID)).
		Set(expression.Name("clientId"), expression.Value(sh.ClientID))
	noClientShare := expression.AttributeNotExists(expression.Name("clientShare"))
	var cond expression.ConditionBuilder
	if sh.Scope == casescribe.ScopeCase {
		entry := expression.Name(grantCaseAttr + sh.CaseID)
		upd = upd.Set(entry, expression.Value(newCaseGrantValue(sh))).
			Add(expression.Name("caseCount"), expression.Value(1))
		cond = noClientShare.And(expression.AttributeNotExists(entry))
	} else {
		upd = setClientShare(upd, sh)
		cond = noClientShare.And(expression.Or(expression.AttributeNotExists(expression.Name("caseCount")),
			expression.Name("caseCount").Equal(expression.Value(0))))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build grant: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(orgPK(sh.OrgID), grantSK(sh.GuestID, sh.ClientID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}, nil
}

// clientShareEnd is the grant's attribute holding when its client share ends.
const clientShareEnd = "clientShareExpiresAt"

// setClientShare records sh as the grant's client share, with its end (or none).
func setClientShare(upd expression.UpdateBuilder, sh casescribe.Share) expression.UpdateBuilder {
	upd = upd.Set(expression.Name("clientShare"), expression.Value(sh.ID))
	if sh.ExpiresAt.IsZero() {
		return upd.Remove(expression.Name(clientShareEnd))
	}
	return upd.Set(expression.Name(clientShareEnd), expression.Value(sh.ExpiresAt))
}

// grantRemove takes a share out of the guest's grant; the grant must still hold that share.
func (s *Store) grantRemove(sh casescribe.Share) (*types.Update, error) {
	var upd expression.UpdateBuilder
	var cond expression.ConditionBuilder
	if sh.Scope == casescribe.ScopeCase {
		entry := expression.Name(grantCaseAttr + sh.CaseID)
		upd = expression.Remove(entry).Add(expression.Name("caseCount"), expression.Value(-1))
		cond = expression.Name(grantCaseAttr + sh.CaseID + ".shareId").Equal(expression.Value(sh.ID))
	} else {
		upd = expression.Remove(expression.Name("clientShare")).Remove(expression.Name(clientShareEnd))
		cond = expression.Name("clientShare").Equal(expression.Value(sh.ID))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build grant: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(orgPK(sh.OrgID), grantSK(sh.GuestID, sh.ClientID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

// shareDelete deletes a share item, which must still be at version.
func (s *Store) shareDelete(sh casescribe.Share) (*types.Delete, error) {
	expr, err := expression.NewBuilder().WithCondition(
		mustExist().And(expression.Name("version").Equal(expression.Value(sh.Version)))).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &types.Delete{TableName: &s.table, Key: key(orgPK(sh.OrgID), shareSK(sh.ID)),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values()}, nil
}

// RemoveShare deletes a share, as read, with its grant entry and counters, in one
// transaction: the guest's very next request no longer sees what it opened. Returns ECONFLICT
// if the share changed meanwhile, ENOTFOUND if it is gone.
func (s *Store) RemoveShare(ctx context.Context, sh casescribe.Share) error {
	del, err := s.shareDelete(sh)
	if err != nil {
		return err
	}
	member, err := s.counter(key(orgPK(sh.OrgID), memberSK(sh.GuestID)), "shareCount", -1, mustExist())
	if err != nil {
		return err
	}
	target, err := s.shareTargetCounter(sh, -1)
	if err != nil {
		return err
	}
	grant, err := s.grantRemove(sh)
	if err != nil {
		return err
	}
	views, err := s.viewCounters([]casescribe.Share{sh}, nil)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append([]types.TransactWriteItem{{Delete: del}, {Update: member}, {Update: target}, {Update: grant}}, views...),
	})
	if conditionFailed(err, -1) {
		if _, getErr := s.GetShare(ctx, sh.OrgID, sh.ID); casescribe.ErrorCode(getErr) == casescribe.ENOTFOUND {
			return casescribe.Errorf(casescribe.ENOTFOUND, "Share not found.")
		}
		return casescribe.Errorf(casescribe.ECONFLICT, "This share changed meanwhile; reload and try again.")
	}
	return convert("remove share", err)
}

// cascade returns the transaction items that delete shares along with what they hang off:
// each share, its grant entry, and the counters not being deleted themselves (skipMember for a
// member being removed, skipTarget for a case or client being deleted, whose views go too).
// A transaction may touch an item once, so the entries of one grant (one guest, one client) go
// in one update.
func (s *Store) cascade(shares []casescribe.Share, skipMember, skipTarget bool) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	type grantKey struct{ guest, client string }
	byGrant := map[grantKey][]casescribe.Share{}
	var grantOrder []grantKey
	for _, sh := range shares {
		del, err := s.shareDelete(sh)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Delete: del})
		if !skipMember {
			member, err := s.counter(key(orgPK(sh.OrgID), memberSK(sh.GuestID)), "shareCount", -1, mustExist())
			if err != nil {
				return nil, err
			}
			out = append(out, types.TransactWriteItem{Update: member})
		}
		if !skipTarget {
			target, err := s.shareTargetCounter(sh, -1)
			if err != nil {
				return nil, err
			}
			out = append(out, types.TransactWriteItem{Update: target})
		}
		k := grantKey{sh.GuestID, sh.ClientID}
		if _, seen := byGrant[k]; !seen {
			grantOrder = append(grantOrder, k)
		}
		byGrant[k] = append(byGrant[k], sh)
	}
	for _, k := range grantOrder {
		grant, err := s.grantRemoveAll(byGrant[k])
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Update: grant})
	}
	if skipTarget {
		// The shares' cases (and their views) are being deleted with them.
		return out, nil
	}
	views, err := s.viewCounters(shares, nil)
	return append(out, views...), err
}

// grantRemoveAll takes shares of one guest in one client out of their grant, in one update;
// the grant must still hold each of them.
func (s *Store) grantRemoveAll(shares []casescribe.Share) (*types.Update, error) {
	if len(shares) == 1 {
		return s.grantRemove(shares[0])
	}
	var upd expression.UpdateBuilder
	var cond expression.ConditionBuilder
	cases := 0
	for i, sh := range shares {
		var held expression.ConditionBuilder
		if sh.Scope == casescribe.ScopeCase {
			upd = upd.Remove(caseEntry(sh.CaseID))
			held = holdsCase(sh)
			cases++
		} else {
			upd = upd.Remove(expression.Name("clientShare")).Remove(expression.Name(clientShareEnd))
			held = expression.Name("clientShare").Equal(expression.Value(sh.ID))
		}
		if i == 0 {
			cond = held
		} else {
			cond = cond.And(held)
		}
	}
	if cases > 0 {
		upd = upd.Add(expression.Name("caseCount"), expression.Value(-cases))
	}
	sh := shares[0]
	return s.grantUpdate(sh.OrgID, sh.GuestID, sh.ClientID, upd, cond)
}

// tooManyShares refuses a cascade that would not fit in one transaction, rather than deleting
// part of it.
func tooManyShares(what string) error {
	return casescribe.Errorf(casescribe.ECONFLICT, "This %s has too many shares to delete at once; remove some of them first.", what)
}

// sharesCounted is the condition that a counter still holds n: the shares read are all there are.
func sharesCounted(n int) expression.ConditionBuilder {
	if n == 0 {
		return expression.Or(expression.AttributeNotExists(expression.Name("shareCount")),
			expression.Name("shareCount").Equal(expression.Value(0)))
	}
	return expression.Name("shareCount").Equal(expression.Value(n))
}

// guestShares returns every share a guest holds, from their grants (strongly consistent) and
// the share items they name.
func (s *Store) guestShares(ctx context.Context, orgID, guestID string) ([]casescribe.Share, error) {
	grants, err := s.GuestGrants(ctx, orgID, guestID)
	if err != nil {
		return nil, err
	}
	var out []casescribe.Share
	for _, g := range grants {
		ids := []string{}
		if g.ClientShareID != "" {
			ids = append(ids, g.ClientShareID)
		}
		for _, cg := range g.Cases {
			ids = append(ids, cg.ShareID)
		}
		for _, id := range ids {
			sh, err := s.GetShare(ctx, orgID, id)
			if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
				// Removed since the grant was read: the guest's access is changing right now.
				return nil, casescribe.Errorf(casescribe.ECONFLICT, "This person's access changed meanwhile; reload and try again.")
			}
			if err != nil {
				return nil, fmt.Errorf("share %s of guest: %w", id, err)
			}
			out = append(out, sh)
		}
	}
	return out, nil
}

// viewCounters moves the share counts of saved views from the shares removed to the shares
// added, one update per view (a transaction touches an item once). A view gaining a share must
// exist in the share's case, which is how a share is held to views of its own case; a view is
// never deleted while counted, so one losing a share exists too.
func (s *Store) viewCounters(removed, added []casescribe.Share) ([]types.TransactWriteItem, error) {
	type viewKey struct{ org, caseID, viewID string }
	delta := map[viewKey]int{}
	var order []viewKey
	count := func(shares []casescribe.Share, d int) {
		for _, sh := range shares {
			if sh.ViewID == "" || sh.Scope != casescribe.ScopeCase {
				continue
			}
			k := viewKey{sh.OrgID, sh.CaseID, sh.ViewID}
			if _, seen := delta[k]; !seen {
				order = append(order, k)
			}
			delta[k] += d
		}
	}
	count(removed, -1)
	count(added, 1)
	var out []types.TransactWriteItem
	for _, k := range order {
		if delta[k] == 0 {
			continue
		}
		upd, err := s.counter(key(casePK(k.org, k.caseID), viewSK(k.viewID)), "shareCount", delta[k], mustExist())
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Update: upd})
	}
	return out, nil
}

// errNoSuchView refuses a share limited to a view that is not a saved view of its case.
var errNoSuchView = casescribe.Errorf(casescribe.EINVALID, `Field "viewId" names no saved view of this case.`)

// viewFailed reports whether a transaction failed on one of its view counters, which start at
// index from.
func viewFailed(err error, from, n int) bool {
	for i := from; i < from+n; i++ {
		if conditionFailed(err, i) {
			return true
		}
	}
	return false
}

// errNoSuchChat refuses a share listing a chat that is not a chat of its case.
var errNoSuchChat = casescribe.Errorf(casescribe.EINVALID, `Field "chatIds" names a chat that is not a chat of this case.`)

// chatChecks are the conditions that every chat a case share lists is a chat of its case.
func (s *Store) chatChecks(sh casescribe.Share) ([]types.TransactWriteItem, error) {
	if sh.Scope != casescribe.ScopeCase {
		return nil, nil
	}
	var out []types.TransactWriteItem
	for _, id := range sh.ChatIDs {
		cc, err := s.existsCheck(casePK(sh.OrgID, sh.CaseID), chatSK(id))
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{ConditionCheck: cc})
	}
	return out, nil
}
