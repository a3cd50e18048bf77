// Package store keeps the product's records in one DynamoDB table (single-table design),
// through aws-sdk-go-v2. Every organization record is keyed by its organization first; every
// create and update carries a condition; every change to more than one item is one
// transaction. It is tested against DynamoDB Local, never against a mock of itself.
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

// DB is the part of the DynamoDB client the store uses; *dynamodb.Client implements it.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Store reads and writes the product's records.
type Store struct {
	db    DB
	table string
}

// New returns a Store on the named table. It takes its client as given and never loads AWS
// configuration itself; writes that lose a race to another transaction are retried a few
// times (see retryingDB), and a write whose context carries an audit record appends it to the
// audit chain in the same transaction (see WithAudit).
func New(db DB, table string) *Store {
	return &Store{db: auditingDB{DB: retryingDB{db}, table: table}, table: table}
}

// Page size bounds for lists.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

func mustNotExist() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("PK"))
}

func mustExist() expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name("PK"))
}

// get reads one item into out. Returns ENOTFOUND (with what in its message) when absent.
func (s *Store) get(ctx context.Context, pk, sk, what string, out any) error {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return convert("get "+what, err)
	}
	if res.Item == nil {
		return casescribe.Errorf(casescribe.ENOTFOUND, "%s not found.", what)
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// put writes a new item, refusing to overwrite one.
func (s *Store) put(item any) (*types.Put, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return nil, fmt.Errorf("encode item: %w", err)
	}
	expr, err := expression.NewBuilder().WithCondition(mustNotExist()).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &types.Put{TableName: &s.table, Item: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names()}, nil
}

// --- Organizations, memberships and profiles -------------------------------------------------

// CreateOrganization creates an organization with its founder as an active admin, and records
// the founder's profile, in one transaction. Returns ECONFLICT if the id is taken.
func (s *Store) CreateOrganization(ctx context.Context, org casescribe.Organization, founder casescribe.User) error {
	m := casescribe.Membership{OrgID: org.ID, OrgName: org.Name, UserID: founder.ID,
		Email: founder.Email, Name: founder.Name, Role: casescribe.RoleAdmin,
		Status: casescribe.StatusActive, CreatedAt: org.CreatedAt}
	items, err := s.puts(newOrgItem(org), newMembershipItem(m), memberEmailItem(org.ID, founder.Email, founder.ID))
	if err != nil {
		return err
	}
	profile, err := s.profileUpdate(founder)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append(items, types.TransactWriteItem{Update: profile}),
	})
	return convert("create organization", err)
}

// puts returns a conditional Put (never overwriting) for each item, as transaction items.
func (s *Store) puts(items ...any) ([]types.TransactWriteItem, error) {
	out := make([]types.TransactWriteItem, 0, len(items))
	for _, it := range items {
		p, err := s.put(it)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: p})
	}
	return out, nil
}

// profileUpdate records a login's email and, the first time, its name. The name a person gave
// is kept over later ones (they may differ per invitation); the email follows Cognito.
func (s *Store) profileUpdate(u casescribe.User) (*types.Update, error) {
	upd := expression.Set(expression.Name("type"), expression.Value(typeProfile)).
		Set(expression.Name("id"), expression.Value(u.ID)).
		Set(expression.Name("email"), expression.Value(u.Email)).
		Set(expression.Name("name"), expression.IfNotExists(expression.Name("name"), expression.Value(u.Name))).
		Set(expression.Name("GSI1PK"), expression.Value(userPK(u.ID))).
		Set(expression.Name("GSI1SK"), expression.Value(profileSK))
	// The profile belongs to this login alone: an existing item must be this user's.
	cond := expression.Or(mustNotExist(), expression.Name("id").Equal(expression.Value(u.ID)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build profile update: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(userPK(u.ID), profileSK),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

// PutMembership makes a person a member of an organization directly (demo data and tests;
// people normally join by accepting an invitation), recording their profile, reserving their
// email in the organization and counting them if admin, in one transaction. Returns ENOTFOUND
// if the organization does not exist, ECONFLICT if the person or the email already belongs
// to it.
func (s *Store) PutMembership(ctx context.Context, m casescribe.Membership) error {
	items, err := s.puts(newMembershipItem(m), memberEmailItem(m.OrgID, m.Email, m.UserID))
	if err != nil {
		return err
	}
	profile, err := s.profileUpdate(casescribe.User{ID: m.UserID, Email: m.Email, Name: m.Name})
	if err != nil {
		return err
	}
	count, err := s.adminCount(m.OrgID, adminDelta(m.Role), mustExist())
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append([]types.TransactWriteItem{{Update: count}}, append(items, types.TransactWriteItem{Update: profile})...),
	})
	switch {
	case conditionFailed(err, 0):
		return casescribe.Errorf(casescribe.ENOTFOUND, "Organization not found.")
	case conditionFailed(err, 1), conditionFailed(err, 2):
		return casescribe.Errorf(casescribe.ECONFLICT, "This person already belongs to the organization.")
	}
	return convert("put membership", err)
}

// adminDelta is how a membership of role r counts towards its organization's admins.
func adminDelta(r casescribe.Role) int {
	if r == casescribe.RoleAdmin {
		return 1
	}
	return 0
}

// adminCount adds delta to the organization's count of admins under cond.
func (s *Store) adminCount(orgID string, delta int, cond expression.ConditionBuilder) (*types.Update, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Add(expression.Name("adminCount"), expression.Value(delta))).
		WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build admin count: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(orgPK(orgID), orgSortKey),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

// GetOrganization returns one organization. Returns ENOTFOUND if unknown.
func (s *Store) GetOrganization(ctx context.Context, orgID string) (casescribe.Organization, error) {
	var it orgItem
	if err := s.get(ctx, orgPK(orgID), orgSortKey, "Organization", &it); err != nil {
		return casescribe.Organization{}, err
	}
	return it.domain(), nil
}

// GetMembership returns the membership of a user in an organization: the authorizer's one
// round trip. Returns ENOTFOUND if the user does not belong to it.
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (casescribe.Membership, error) {
	var it membershipItem
	if err := s.get(ctx, orgPK(orgID), memberSK(userID), "Membership", &it); err != nil {
		return casescribe.Membership{}, err
	}
	return it.domain(), nil
}

// UserMemberships returns a login's profile (ENOTFOUND-free: a zero User when it has none yet)
// and every membership it holds, in one query of the user's index partition.
func (s *Store) UserMemberships(ctx context.Context, userID string) (casescribe.User, []casescribe.Membership, error) {
	keyCond := expression.Key("GSI1PK").Equal(expression.Value(userPK(userID)))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return casescribe.User{}, nil, fmt.Errorf("build query: %w", err)
	}
	var user casescribe.User
	var out []casescribe.Membership
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(indexGSI1),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return casescribe.User{}, nil, convert("list memberships", err)
		}
		for _, raw := range page.Items {
			var head struct {
				Type string `dynamodbav:"type"`
			}
			if err := attributevalue.UnmarshalMap(raw, &head); err != nil {
				return casescribe.User{}, nil, fmt.Errorf("decode item type: %w", err)
			}
			switch head.Type {
			case typeProfile:
				var it profileItem
				if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
					return casescribe.User{}, nil, fmt.Errorf("decode profile: %w", err)
				}
				user = it.domain()
			case typeMember:
				var it membershipItem
				if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
					return casescribe.User{}, nil, fmt.Errorf("decode membership: %w", err)
				}
				out = append(out, it.domain())
			}
		}
	}
	return user, out, nil
}

// --- Clients ---------------------------------------------------------------------------------

// CreateClient stores a new client. Returns ECONFLICT if the id is taken.
func (s *Store) CreateClient(ctx context.Context, c casescribe.Client) error {
	put, err := s.put(newClientItem(c))
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
		ConditionExpression: put.ConditionExpression, ExpressionAttributeNames: put.ExpressionAttributeNames})
	return convert("create client", err)
}

// GetClient returns one client of the organization. Returns ENOTFOUND if unknown.
func (s *Store) GetClient(ctx context.Context, orgID, clientID string) (casescribe.Client, error) {
	var it clientItem
	if err := s.get(ctx, orgPK(orgID), clientSK(clientID), "Client", &it); err != nil {
		return casescribe.Client{}, err
	}
	return it.domain(), nil
}

// GetClients returns the clients with the given ids, in one batch read, keyed by id. Unknown
// ids are absent from the map.
func (s *Store) GetClients(ctx context.Context, orgID string, ids []string) (map[string]casescribe.Client, error) {
	list, err := batchGet[casescribe.Client, clientItem](ctx, s, orgID, ids, clientSK)
	if err != nil {
		return nil, err
	}
	out := make(map[string]casescribe.Client, len(list))
	for _, c := range list {
		out[c.ID] = c
	}
	return out, nil
}

// GetCases returns the cases with the given ids that exist, in batch reads.
func (s *Store) GetCases(ctx context.Context, orgID string, ids []string) ([]casescribe.Case, error) {
	return batchGet[casescribe.Case, caseItem](ctx, s, orgID, ids, caseSK)
}

// batchGet reads the organization's items with the given ids (sort keys made by sk), strongly
// consistent, in batches of DynamoDB's 100 keys, retrying what comes back unprocessed.
func batchGet[T any, I interface{ domain() T }](ctx context.Context, s *Store, orgID string, ids []string, sk func(string) string) ([]T, error) {
	seen := make(map[string]bool, len(ids))
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		keys = append(keys, key(orgPK(orgID), sk(id)))
	}
	var out []T
	err := s.batchGetRaw(ctx, keys, nil, func(items []map[string]types.AttributeValue) error {
		page, err := decodePage[T, I](items, "")
		out = append(out, page.Items...)
		return err
	})
	return out, err
}

// batchGetRaw reads items by key, strongly consistent, in batches of DynamoDB's 100 keys,
// retrying what comes back unprocessed, and runs fn on each answer; projection, when given,
// names the only attributes read.
func (s *Store) batchGetRaw(ctx context.Context, keys []map[string]types.AttributeValue, projection []string, fn func([]map[string]types.AttributeValue) error) error {
	ka := types.KeysAndAttributes{ConsistentRead: aws.Bool(true)}
	if len(projection) > 0 {
		ka.ExpressionAttributeNames = map[string]string{}
		var refs []string
		for i, n := range projection {
			ref := fmt.Sprintf("#p%d", i)
			ka.ExpressionAttributeNames[ref] = n
			refs = append(refs, ref)
		}
		ka.ProjectionExpression = aws.String(strings.Join(refs, ", "))
	}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := ka
		batch.Keys = keys[:n]
		pending := map[string]types.KeysAndAttributes{s.table: batch}
		keys = keys[n:]
		for len(pending) > 0 {
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return convert("batch get", err)
			}
			if err := fn(res.Responses[s.table]); err != nil {
				return err
			}
			pending = res.UnprocessedKeys
		}
	}
	return nil
}

// ListClients returns one page of the organization's clients, oldest first.
func (s *Store) ListClients(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Client], error) {
	items, next, err := s.queryPrefix(ctx, orgID, clientPrefix, "clients", cursor, limit, validULID)
	if err != nil {
		return casescribe.Page[casescribe.Client]{}, err
	}
	return decodePage[casescribe.Client, clientItem](items, next)
}

// UpdateClient renames a client. Returns ENOTFOUND if unknown.
func (s *Store) UpdateClient(ctx context.Context, orgID, clientID, name string, now time.Time) (casescribe.Client, error) {
	upd := expression.Set(expression.Name("name"), expression.Value(name)).
		Set(expression.Name("updatedAt"), expression.Value(now))
	var it clientItem
	err := s.update(ctx, key(orgPK(orgID), clientSK(clientID)), upd, mustExist(), &it)
	if conditionFailed(err, -1) {
		return casescribe.Client{}, casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	if err != nil {
		return casescribe.Client{}, convert("update client", err)
	}
	return it.domain(), nil
}

// DeleteClient deletes a client that has no cases, with its client-scope shares, in one
// transaction. Returns ENOTFOUND if unknown and ECONFLICT if it still has cases, or if a share
// was made meanwhile; decided by conditions, so no case or share can slip in between.
func (s *Store) DeleteClient(ctx context.Context, orgID, clientID string) error {
	all, err := s.ClientShares(ctx, orgID, clientID)
	if err != nil {
		return err
	}
	var shares []casescribe.Share
	for _, sh := range all {
		if sh.Scope == casescribe.ScopeClient {
			shares = append(shares, sh)
		}
	}
	cond := mustExist().And(expression.Name("caseCount").Equal(expression.Value(0))).And(sharesCounted(len(shares)))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	items := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: &s.table, Key: key(orgPK(orgID), clientSK(clientID)),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	more, err := s.cascade(shares, false, true)
	if err != nil {
		return err
	}
	if items = append(items, more...); len(items) > maxTransactItems {
		return tooManyShares("client")
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && conditionFailed(err, 0) {
		old := tce.CancellationReasons[0].Item
		if old == nil {
			return casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
		}
		var it clientItem
		if err := attributevalue.UnmarshalMap(old, &it); err == nil && it.CaseCount > 0 {
			return casescribe.Errorf(casescribe.ECONFLICT, "This client still has cases; delete or move them first.")
		}
		return casescribe.Errorf(casescribe.ECONFLICT, "This client's sharing changed meanwhile; try again.")
	}
	if conditionFailed(err, -1) {
		return casescribe.Errorf(casescribe.ECONFLICT, "This client's sharing changed meanwhile; try again.")
	}
	return convert("delete client", err)
}

// --- Cases -----------------------------------------------------------------------------------

// CreateCase stores a new case under its client and counts it on the client, in one
// transaction. Returns ENOTFOUND if the client does not exist.
func (s *Store) CreateCase(ctx context.Context, c casescribe.Case) error {
	put, err := s.put(newCaseItem(c))
	if err != nil {
		return err
	}
	count, err := s.caseCount(c.OrgID, c.ClientID, 1, mustExist())
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{{Update: count}, {Put: put}},
	})
	if conditionFailed(err, 0) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	return convert("create case", err)
}

func (s *Store) caseCount(orgID, clientID string, delta int, cond expression.ConditionBuilder) (*types.Update, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Add(expression.Name("caseCount"), expression.Value(delta))).
		WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build case count: %w", err)
	}
	return &types.Update{TableName: &s.table, Key: key(orgPK(orgID), clientSK(clientID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}, nil
}

// GetCase returns one case of the organization. Returns ENOTFOUND if unknown.
func (s *Store) GetCase(ctx context.Context, orgID, caseID string) (casescribe.Case, error) {
	var it caseItem
	if err := s.get(ctx, orgPK(orgID), caseSK(caseID), "Case", &it); err != nil {
		return casescribe.Case{}, err
	}
	return it.domain(), nil
}

// ListCases returns one page of the organization's cases, oldest first.
func (s *Store) ListCases(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Case], error) {
	items, next, err := s.queryPrefix(ctx, orgID, casePrefix, "cases", cursor, limit, validULID)
	if err != nil {
		return casescribe.Page[casescribe.Case]{}, err
	}
	return decodePage[casescribe.Case, caseItem](items, next)
}

// ListClientCases returns one page of a client's cases, oldest first.
func (s *Store) ListClientCases(ctx context.Context, orgID, clientID, cursor string, limit int) (casescribe.Page[casescribe.Case], error) {
	list := "client-cases:" + clientID
	last, err := decodeCursor(list, cursor, validULID)
	if err != nil {
		return casescribe.Page[casescribe.Case]{}, err
	}
	pk := clientCasesKey(orgID, clientID)
	// The client's index partition also holds its shares: read only its cases.
	keyCond := expression.Key("GSI1PK").Equal(expression.Value(pk)).
		And(expression.Key("GSI1SK").BeginsWith(casePrefix))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return casescribe.Page[casescribe.Case]{}, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(indexGSI1),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(clampLimit(limit)))}
	if last != "" {
		start := key(orgPK(orgID), caseSK(last))
		start["GSI1PK"] = &types.AttributeValueMemberS{Value: pk}
		start["GSI1SK"] = &types.AttributeValueMemberS{Value: caseSK(last)}
		in.ExclusiveStartKey = start
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return casescribe.Page[casescribe.Case]{}, convert("list client cases", err)
	}
	return decodePage[casescribe.Case, caseItem](res.Items, encodeCursor(list, lastID(res.LastEvaluatedKey, "SK", casePrefix)))
}

// decodePage converts one page of stored items, through their item struct I, to domain values.
func decodePage[T any, I interface{ domain() T }](items []map[string]types.AttributeValue, next string) (casescribe.Page[T], error) {
	page := casescribe.Page[T]{NextCursor: next}
	for _, raw := range items {
		var it I
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return page, fmt.Errorf("decode %T: %w", it, err)
		}
		page.Items = append(page.Items, it.domain())
	}
	return page, nil
}

// AllClientCases returns every case of a client, reading page after page.
func (s *Store) AllClientCases(ctx context.Context, orgID, clientID string) ([]casescribe.Case, error) {
	var out []casescribe.Case
	cursor := ""
	for {
		page, err := s.ListClientCases(ctx, orgID, clientID, cursor, MaxLimit)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// UpdateCase renames a case. Returns ENOTFOUND if unknown.
func (s *Store) UpdateCase(ctx context.Context, orgID, caseID, name string, now time.Time) (casescribe.Case, error) {
	upd := expression.Set(expression.Name("name"), expression.Value(name)).
		Set(expression.Name("updatedAt"), expression.Value(now))
	var it caseItem
	err := s.update(ctx, key(orgPK(orgID), caseSK(caseID)), upd, mustExist(), &it)
	if conditionFailed(err, -1) {
		return casescribe.Case{}, casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	if err != nil {
		return casescribe.Case{}, convert("update case", err)
	}
	return it.domain(), nil
}

// DeleteCase deletes a case with its shares and uncounts it on its client, in one
// transaction. The case must still belong to clientID. Returns ENOTFOUND if it is gone, and
// ECONFLICT if a share of it was made meanwhile.
func (s *Store) DeleteCase(ctx context.Context, orgID, clientID, caseID string) error {
	all, err := s.ClientShares(ctx, orgID, clientID)
	if err != nil {
		return err
	}
	var shares []casescribe.Share
	for _, sh := range all {
		if sh.Scope == casescribe.ScopeCase && sh.CaseID == caseID {
			shares = append(shares, sh)
		}
	}
	cond := mustExist().And(expression.Name("clientId").Equal(expression.Value(clientID))).And(sharesCounted(len(shares)))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	count, err := s.caseCount(orgID, clientID, -1, mustExist())
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(orgID), caseSK(caseID)),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues:           expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Update: count},
	}
	more, err := s.cascade(shares, false, true)
	if err != nil {
		return err
	}
	if items = append(items, more...); len(items) > maxTransactItems {
		return tooManyShares("case")
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && conditionFailed(err, 0) {
		if old := tce.CancellationReasons[0].Item; old != nil && attributeString(old, "clientId") == clientID {
			return casescribe.Errorf(casescribe.ECONFLICT, "This case's sharing changed meanwhile; try again.")
		}
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	if conditionFailed(err, -1) {
		return casescribe.Errorf(casescribe.ECONFLICT, "This case's sharing changed meanwhile; try again.")
	}
	return convert("delete case", err)
}

// attributeString reads a string attribute of a raw item, "" when absent or not a string.
func attributeString(item map[string]types.AttributeValue, name string) string {
	v, _ := item[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

// --- shared query helpers --------------------------------------------------------------------

// update applies upd under cond and decodes the new item into out.
func (s *Store) update(ctx context.Context, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder, out any) error {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: k,
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueAllNew})
	if err != nil {
		return err
	}
	if err := attributevalue.UnmarshalMap(res.Attributes, out); err != nil {
		return fmt.Errorf("decode updated item: %w", err)
	}
	return nil
}

// queryPrefix reads one page of the organization partition's items whose sort key starts with
// prefix; validID checks the id a cursor carries.
func (s *Store) queryPrefix(ctx context.Context, orgID, prefix, list, cursor string, limit int, validID func(string) bool) ([]map[string]types.AttributeValue, string, error) {
	return s.queryPage(ctx, orgPK(orgID), prefix, list, cursor, limit, validID)
}

// queryPage reads one page of a partition's items whose sort key starts with prefix, strongly
// consistent, after the item a cursor of list names; validID checks the id it carries.
func (s *Store) queryPage(ctx context.Context, pk, prefix, list, cursor string, limit int, validID func(string) bool) ([]map[string]types.AttributeValue, string, error) {
	last, err := decodeCursor(list, cursor, validID)
	if err != nil {
		return nil, "", err
	}
	keyCond := expression.Key("PK").Equal(expression.Value(pk)).
		And(expression.Key("SK").BeginsWith(prefix))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true), Limit: aws.Int32(int32(clampLimit(limit)))}
	if last != "" {
		in.ExclusiveStartKey = key(pk, prefix+last)
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", convert("list "+list, err)
	}
	return res.Items, encodeCursor(list, lastID(res.LastEvaluatedKey, "SK", prefix)), nil
}

// lastID is the id in a page's last evaluated key, "" on the last page.
func lastID(lek map[string]types.AttributeValue, attr, prefix string) string {
	v, ok := lek[attr].(*types.AttributeValueMemberS)
	if !ok {
		return ""
	}
	return idFromKey(v.Value, prefix)
}

func clampLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}
