package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// Before case sharing, a guest saw every case of the clients listed on their membership
// (visibleClients). That way of sharing is retired, but the lists written then must keep
// working: each listed client becomes a client-scope share, made exactly as CreateShare makes
// one, and the list goes away in the same transaction, so that nothing is ever both a list
// entry and a share, and nothing is lost if a migration stops half way.

// legacyListAttr is the retired list on a membership.
const legacyListAttr = "visibleClients"

// migratedBy is the CreatedBy of the shares a migration makes: no person made them.
const migratedBy = "migration"

// sharesPerMigration is how many shares fit in one transaction: three items each (share,
// grant, client counter) beside the one update of the membership.
const sharesPerMigration = (maxTransactItems - 1) / 3

// errMigrationRaced answers a migration that met a change made since its membership was read
// (most often a concurrent migration of the same membership). Running it again is safe.
var errMigrationRaced = casescribe.Errorf(casescribe.ECONFLICT, "The sharing migration raced another change; run it again.")

// MigrateMembership migrates m's retired client list (see MigrateLegacyShares) with fresh
// ULIDs at the current time: what the authorizer calls on a membership's first use. Returns
// ECONFLICT if the membership changed since it was read, e.g. a concurrent request migrated it.
func (s *Store) MigrateMembership(ctx context.Context, m casescribe.Membership) error {
	_, err := s.MigrateLegacyShares(ctx, m, func() string { return ulid.Make().String() }, time.Now().UTC())
	return err
}

// MigrateLegacyShares turns the retired client list of m, as read, into client-scope shares
// and removes the list, and returns how many shares it made. A guest gets one share per
// listed client that still exists and in which they hold no share yet (a client they were
// since given a share of, even of single cases, is left as it is); the shares are named by
// newID and dated now. Admins and members see every client anyway, so theirs is only removed.
// Each transaction makes up to sharesPerMigration shares, counts them on the membership and
// takes exactly their clients off the list in one update conditioned on the list still being
// what was read: a concurrent migration cannot make a share twice, and a migration stopped
// between transactions resumes where it stopped. A membership without a list is left alone.
//
// Returns ECONFLICT (with the shares made so far) if the membership, a client or a grant
// changed meanwhile; running it again on a fresh read is safe.
func (s *Store) MigrateLegacyShares(ctx context.Context, m casescribe.Membership, newID func() string, now time.Time) (created int, err error) {
	list := m.LegacyVisibleClients
	if len(list) == 0 {
		return 0, nil
	}
	if m.Role != casescribe.RoleGuest {
		return 0, s.migrateLegacyChunk(ctx, m, list, nil, nil)
	}
	todo, err := s.legacyClientsToShare(ctx, m)
	if err != nil {
		return 0, err
	}
	// The first transaction also takes off the ids that need no share (unknown, deleted or
	// already shared), so that the list only ever holds what is still to migrate.
	drop := slices.DeleteFunc(slices.Clone(list), func(id string) bool { return slices.Contains(todo, id) })
	for first := true; first || len(todo) > 0; first = false {
		chunk := todo[:min(len(todo), sharesPerMigration)]
		todo = todo[len(chunk):]
		rest := slices.DeleteFunc(slices.Clone(list), func(id string) bool {
			return slices.Contains(drop, id) || slices.Contains(chunk, id)
		})
		shares := make([]casescribe.Share, 0, len(chunk))
		for _, clientID := range chunk {
			shares = append(shares, casescribe.Share{OrgID: m.OrgID, ID: newID(), GuestID: m.UserID,
				GuestName: m.Name, GuestEmail: m.Email, Scope: casescribe.ScopeClient, ClientID: clientID,
				Version: 1, CreatedBy: migratedBy, CreatedAt: now, UpdatedAt: now})
		}
		if err := s.migrateLegacyChunk(ctx, m, list, rest, shares); err != nil {
			return created, err
		}
		created += len(shares)
		list, drop = rest, nil
	}
	return created, nil
}

// legacyClientsToShare returns the clients of m's list, once each and in list order, that
// exist and in which the guest holds no share: those a migration shares.
func (s *Store) legacyClientsToShare(ctx context.Context, m casescribe.Membership) ([]string, error) {
	var ids []string
	for _, id := range m.LegacyVisibleClients {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	clients, err := s.GetClients(ctx, m.OrgID, ids)
	if err != nil {
		return nil, fmt.Errorf("clients of legacy list: %w", err)
	}
	var out []string
	for _, id := range ids {
		if _, ok := clients[id]; !ok {
			continue
		}
		g, err := s.GetGrant(ctx, m.OrgID, m.UserID, id)
		if err != nil {
			return nil, fmt.Errorf("grant of legacy client: %w", err)
		}
		if g.ClientShareID == "" && len(g.Cases) == 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

// migrateLegacyChunk creates shares, in one transaction with one update of the membership
// that counts them and replaces its list old (which must still be there, unchanged, and the
// role and status as read) with rest, or removes it when rest is empty. DynamoDB allows one
// operation per item in a transaction, hence counter and list in one update.
func (s *Store) migrateLegacyChunk(ctx context.Context, m casescribe.Membership, old, rest []string, shares []casescribe.Share) error {
	list := expression.Name(legacyListAttr)
	var upd expression.UpdateBuilder
	if len(rest) == 0 {
		upd = upd.Remove(list)
	} else {
		upd = upd.Set(list, expression.Value(rest))
	}
	if len(shares) > 0 {
		upd = upd.Add(expression.Name("shareCount"), expression.Value(len(shares)))
	}
	cond := list.Equal(expression.Value(old)).
		And(expression.Name("role").Equal(expression.Value(string(m.Role)))).
		And(expression.Name("status").Equal(expression.Value(string(m.Status))))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build legacy list update: %w", err)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: &s.table,
		Key: key(orgPK(m.OrgID), memberSK(m.UserID)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values()}}}
	for _, sh := range shares {
		put, err := s.put(newShareItem(sh))
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
		items = append(items, types.TransactWriteItem{Put: put}, types.TransactWriteItem{Update: target},
			types.TransactWriteItem{Update: grant})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err = convert("migrate legacy shares", err); casescribe.ErrorCode(err) == casescribe.ECONFLICT {
		return errMigrationRaced
	}
	return err
}
