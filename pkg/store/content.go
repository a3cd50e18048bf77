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

// Kinds of case content an id can name.
const (
	KindFact     = "fact"
	KindView     = "view"
	KindDocument = "document"
)

// MaxTags bounds the tags of one fact.
const MaxTags = 20

// Ref says which case an id of case content belongs to.
type Ref struct {
	Kind     string
	ID       string
	CaseID   string
	ClientID string
}

// Locate finds the case of a fact, view or document of the organization. Returns ENOTFOUND
// when the id names nothing of that kind here.
func (s *Store) Locate(ctx context.Context, orgID, kind, id string) (Ref, error) {
	var it refItem
	err := s.get(ctx, orgPK(orgID), refSK(id), "Ref", &it)
	if err == nil && it.Kind != kind {
		err = casescribe.Errorf(casescribe.ENOTFOUND, "not found")
	}
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		return Ref{}, casescribe.Errorf(casescribe.ENOTFOUND, "%s not found.", kindName(kind))
	}
	if err != nil {
		return Ref{}, err
	}
	return Ref{Kind: it.Kind, ID: it.ID, CaseID: it.CaseID, ClientID: it.ClientID}, nil
}

func kindName(kind string) string {
	switch kind {
	case KindFact:
		return "Fact"
	case KindView:
		return "View"
	case KindChat:
		return "Chat"
	default:
		return "Document"
	}
}

// eachPage runs fn on every page of a partition's items whose sort key starts with prefix
// (every item for ""), read strongly consistent; projection, when given, names the only
// attributes read, and filter, when given, the only items returned. DynamoDB filters each page
// after reading it, so a page may come back with fewer items than it read, or none, and the
// pages go on until the partition's end all the same.
func (s *Store) eachPage(ctx context.Context, pk, prefix string, projection []string, filter *expression.ConditionBuilder, fn func([]map[string]types.AttributeValue) error) error {
	keyCond := expression.Key("PK").Equal(expression.Value(pk))
	if prefix != "" {
		keyCond = keyCond.And(expression.Key("SK").BeginsWith(prefix))
	}
	b := expression.NewBuilder().WithKeyCondition(keyCond)
	if filter != nil {
		b = b.WithFilter(*filter)
	}
	if len(projection) > 0 {
		names := make([]expression.NameBuilder, len(projection))
		for i, n := range projection {
			names[i] = expression.Name(n)
		}
		b = b.WithProjection(expression.NamesList(names[0], names[1:]...))
	}
	expr, err := b.Build()
	if err != nil {
		return fmt.Errorf("build query: %w", err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
		FilterExpression: expr.Filter(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		res, err := p.NextPage(ctx)
		if err != nil {
			return convert("query "+prefix, err)
		}
		if err := fn(res.Items); err != nil {
			return err
		}
	}
	return nil
}

// queryAll reads every item of a partition whose sort key starts with prefix, strongly
// consistent, page after page.
func queryAll[T any, I interface{ domain() T }](ctx context.Context, s *Store, pk, prefix string) ([]T, error) {
	var out []T
	err := s.eachPage(ctx, pk, prefix, nil, nil, func(items []map[string]types.AttributeValue) error {
		page, err := decodePage[T, I](items, "")
		out = append(out, page.Items...)
		return err
	})
	return out, err
}

// caseCheck is the condition that the case still exists under its client: content is never
// written into a case deleted meanwhile.
func (s *Store) caseCheck(orgID, caseID, clientID string) (*types.ConditionCheck, error) {
	expr, err := expression.NewBuilder().WithCondition(
		mustExist().And(expression.Name("clientId").Equal(expression.Value(clientID)))).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &types.ConditionCheck{TableName: &s.table, Key: key(orgPK(orgID), caseSK(caseID)),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values()}, nil
}

// existsCheck is the condition that an item exists.
func (s *Store) existsCheck(pk, sk string) (*types.ConditionCheck, error) {
	expr, err := expression.NewBuilder().WithCondition(mustExist()).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &types.ConditionCheck{TableName: &s.table, Key: key(pk, sk),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names()}, nil
}

// createInCase writes a new item of case content with its ref, in one transaction with the
// check that the case still exists, plus any extra checks. Returns ENOTFOUND if the case is
// gone; failed extra checks are reported by checkErr with their index among extras.
func (s *Store) createInCase(ctx context.Context, orgID, caseID, clientID, kind, id string, item any, extras []*types.ConditionCheck, checkErr func(int) error) error {
	cc, err := s.caseCheck(orgID, caseID, clientID)
	if err != nil {
		return err
	}
	puts, err := s.puts(item, newRefItem(orgID, kind, id, caseID, clientID))
	if err != nil {
		return err
	}
	items := append([]types.TransactWriteItem{{ConditionCheck: cc}}, puts...)
	for _, x := range extras {
		items = append(items, types.TransactWriteItem{ConditionCheck: x})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if conditionFailed(err, 0) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	for i := range extras {
		if conditionFailed(err, 3+i) {
			return checkErr(i)
		}
	}
	return convert("create "+kind, err)
}

// deleteWithRef deletes an item of case content and its ref in one transaction, under cond on
// the item. Returns the item as it was when cond failed (nil when it was already gone).
func (s *Store) deleteWithRef(ctx context.Context, orgID, pk, sk, id string, cond expression.ConditionBuilder) (map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(pk, sk), ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(orgID), refSK(id))}},
	}})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && conditionFailed(err, 0) {
		return tce.CancellationReasons[0].Item, err
	}
	return nil, err
}

// --- Facts -----------------------------------------------------------------------------------

// CreateFact stores a new fact of a case. Returns ENOTFOUND if the case is gone and EINVALID
// if its documentId names no document of the case.
func (s *Store) CreateFact(ctx context.Context, f casescribe.Fact) error {
	var extras []*types.ConditionCheck
	if f.DocumentID != "" {
		cc, err := s.existsCheck(casePK(f.OrgID, f.CaseID), documentSK(f.DocumentID))
		if err != nil {
			return err
		}
		extras = append(extras, cc)
	}
	return s.createInCase(ctx, f.OrgID, f.CaseID, f.ClientID, KindFact, f.ID, newFactItem(f), extras,
		func(int) error { return errNoSuchDocument })
}

var errNoSuchDocument = casescribe.Errorf(casescribe.EINVALID, `Field "documentId" names no document of this case.`)

// GetFact returns one fact of a case. Returns ENOTFOUND if unknown.
func (s *Store) GetFact(ctx context.Context, orgID, caseID, factID string) (casescribe.Fact, error) {
	var it factItem
	if err := s.get(ctx, casePK(orgID, caseID), factSK(factID), "Fact", &it); err != nil {
		return casescribe.Fact{}, err
	}
	return it.domain(), nil
}

// CaseFacts returns every fact of a case, oldest first. A case's facts are read whole by the
// routes that need them all (bulk edit, AI tagging and grouping, Ask AI), so they are decoded
// by hand: several times faster than attributevalue's reflection.
func (s *Store) CaseFacts(ctx context.Context, orgID, caseID string) ([]casescribe.Fact, error) {
	return s.caseFacts(ctx, orgID, caseID, nil)
}

// CaseFactsMatching returns the facts of a case that may pass every one of filters, oldest
// first: each fact that passes them all (access.Matches) and possibly others, so the caller
// still applies the filters; with no filter, every fact. It costs the same DynamoDB reads as
// CaseFacts (a filter is applied after reading), but only the facts it returns are sent,
// decoded and matched: for a saved view of a quarter of a case, about a quarter of the work.
//
// DynamoDB checks what it can check exactly or by a wider condition: the key-fact flag, the
// date range, and the tags through the fact's tag index (facts whose index may be incomplete
// are returned whatever their tags). A search text is left to the caller: matching words in
// lower case would need a lower-case copy of every fact's text.
func (s *Store) CaseFactsMatching(ctx context.Context, orgID, caseID string, filters ...casescribe.FactFilter) ([]casescribe.Fact, error) {
	cond, ok := factCondition(filters)
	if !ok {
		return s.caseFacts(ctx, orgID, caseID, nil)
	}
	return s.caseFacts(ctx, orgID, caseID, &cond)
}

func (s *Store) caseFacts(ctx context.Context, orgID, caseID string, filter *expression.ConditionBuilder) ([]casescribe.Fact, error) {
	var out []casescribe.Fact
	err := s.eachPage(ctx, casePK(orgID, caseID), factPrefix, factAttributes, filter, func(items []map[string]types.AttributeValue) error {
		for _, raw := range items {
			f, err := decodeFact(raw)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// factCondition is a condition that every fact item passing all of filters meets (and maybe
// some others): never narrower than access.Matches, which stays the judge. ok is false when it
// would check nothing.
func factCondition(filters []casescribe.FactFilter) (expression.ConditionBuilder, bool) {
	var conds []expression.ConditionBuilder
	for _, f := range filters {
		if f.KeyOnly {
			conds = append(conds, expression.Name("keyFact").Equal(expression.Value(true)))
		}
		var keys []expression.ConditionBuilder
		for _, t := range f.Tags {
			// A name with brackets would be read as a list index; no stored tag has them, and
			// leaving a tag out only widens the condition.
			if !strings.ContainsAny(t, "[]") {
				keys = append(keys, expression.AttributeExists(tagIndexName(tagKey(t))))
			}
		}
		if len(keys) > 0 {
			// An item without the marker may have tags its index lacks: it passes on its tags.
			conds = append(conds, expression.Or(expression.AttributeNotExists(expression.Name(tagIndexMarker)), allOf(keys)))
		}
		if f.From != "" || f.To != "" {
			// A fact without a date is outside every date range. Dates compare as strings, in
			// DynamoDB (by UTF-8 bytes) as in Go.
			date := expression.Name("date")
			conds = append(conds, expression.Size(date).GreaterThan(expression.Value(0)))
			if f.From != "" {
				conds = append(conds, date.GreaterThanEqual(expression.Value(f.From)))
			}
			if f.To != "" {
				conds = append(conds, date.LessThanEqual(expression.Value(f.To)))
			}
		}
	}
	if len(conds) == 0 {
		return expression.ConditionBuilder{}, false
	}
	return allOf(conds), true
}

// allOf is the conjunction of one or more conditions.
func allOf(conds []expression.ConditionBuilder) expression.ConditionBuilder {
	if len(conds) == 1 {
		return conds[0]
	}
	return expression.And(conds[0], conds[1], conds[2:]...)
}

// ReplaceFact writes after over before, which must still be at its version. Returns ECONFLICT
// if the fact changed meanwhile, ENOTFOUND if it is gone, EINVALID if a new documentId names
// no document of the case.
func (s *Store) ReplaceFact(ctx context.Context, before, after casescribe.Fact) error {
	av, err := attributevalue.MarshalMap(newFactItem(after))
	if err != nil {
		return fmt.Errorf("encode fact: %w", err)
	}
	expr, err := expression.NewBuilder().WithCondition(
		mustExist().And(expression.Name("version").Equal(expression.Value(before.Version)))).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}}
	if after.DocumentID != "" && after.DocumentID != before.DocumentID {
		cc, err := s.existsCheck(casePK(after.OrgID, after.CaseID), documentSK(after.DocumentID))
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{ConditionCheck: cc})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	switch {
	case errors.As(err, &tce) && conditionFailed(err, 0):
		if tce.CancellationReasons[0].Item == nil {
			return casescribe.Errorf(casescribe.ENOTFOUND, "Fact not found.")
		}
		return errFactChanged
	case conditionFailed(err, 1):
		return errNoSuchDocument
	}
	return convert("replace fact", err)
}

var errFactChanged = casescribe.Errorf(casescribe.ECONFLICT, "This fact changed meanwhile; reload it and try again.")

// DeleteFact deletes a fact, its ref and its comments in one transaction. A fact with more
// comments than a transaction holds loses the rest just after, in batches: nothing can reach
// them once the fact is gone. Returns ENOTFOUND if it is already gone.
func (s *Store) DeleteFact(ctx context.Context, f casescribe.Fact) error {
	pk := casePK(f.OrgID, f.CaseID)
	comments, err := s.sortKeys(ctx, pk, factCommentsPrefix(f.ID))
	if err != nil {
		return err
	}
	inTxn := comments[:min(len(comments), maxTransactItems-2)]
	expr, err := expression.NewBuilder().WithCondition(mustExist()).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(pk, factSK(f.ID)), ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names()}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(f.OrgID), refSK(f.ID))}},
	}
	for _, sk := range inTxn {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(pk, sk)}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if conditionFailed(err, 0) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Fact not found.")
	}
	if err != nil {
		return convert("delete fact", err)
	}
	if len(comments) > len(inTxn) {
		// Best effort: a comment left behind is unreachable and goes with its case.
		_ = s.purge(ctx, pk, factCommentsPrefix(f.ID), nil)
	}
	return nil
}

// sortKeys returns the sort keys of a partition's items under prefix, strongly consistent.
func (s *Store) sortKeys(ctx context.Context, pk, prefix string) ([]string, error) {
	var out []string
	err := s.eachPage(ctx, pk, prefix, []string{"SK"}, nil, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			out = append(out, attributeString(it, "SK"))
		}
		return nil
	})
	return out, err
}

// tagName is the path of one tag in a fact's tag map; a tag is one map key, dots and all
// (tags never hold square brackets, which the path syntax would read as a list index).
func tagName(t string) expression.NameBuilder {
	return expression.Name("tags").AppendName(expression.NameNoDotSplit(t))
}

// tagsUpdate adds and removes tags of a fact, and their spellings in its tag index, and bumps
// its version. An index that was whole stays whole, each spelling added to or deleted from its
// key's set in the same update as the tag itself; an update never marks an index whole, since
// an item written before the index may carry tags its index lacks.
func tagsUpdate(add, remove []string, now time.Time) expression.UpdateBuilder {
	upd := expression.Set(expression.Name("updatedAt"), expression.Value(now)).
		Set(expression.Name("version"), expression.Name("version").Plus(expression.Value(1)))
	for _, t := range add {
		upd = upd.Set(tagName(t), expression.Value(true))
	}
	for _, t := range remove {
		upd = upd.Remove(tagName(t))
	}
	added := tagIndex(add)
	for key, spellings := range added {
		upd = upd.Add(tagIndexName(key), expression.Value(&types.AttributeValueMemberSS{Value: spellings}))
	}
	for key, spellings := range tagIndex(remove) {
		// One update cannot both add to a set and delete from it: the removed spelling stays
		// in the index, which can only make a filter return a fact it then drops.
		if _, both := added[key]; !both {
			upd = upd.Delete(tagIndexName(key), expression.Value(&types.AttributeValueMemberSS{Value: spellings}))
		}
	}
	return upd
}

// tagIndexName is the attribute of the tag index that holds the spellings of key.
func tagIndexName(key string) expression.NameBuilder {
	return expression.NameNoDotSplit(tagIndexPrefix + key)
}

// SetFactTag adds (on) or removes a tag of a fact. Returns ENOTFOUND if the fact is gone and
// EINVALID if it already carries MaxTags tags.
func (s *Store) SetFactTag(ctx context.Context, orgID, caseID, factID, tag string, on bool, now time.Time) (casescribe.Fact, error) {
	var upd expression.UpdateBuilder
	cond := mustExist()
	if on {
		upd = tagsUpdate([]string{tag}, nil, now)
		cond = cond.And(expression.Or(
			expression.Size(expression.Name("tags")).LessThan(expression.Value(MaxTags)),
			expression.AttributeExists(tagName(tag))))
	} else {
		upd = tagsUpdate(nil, []string{tag}, now)
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return casescribe.Fact{}, fmt.Errorf("build update: %w", err)
	}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table,
		Key: key(casePK(orgID, caseID), factSK(factID)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ReturnValues: types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil {
			return casescribe.Fact{}, casescribe.Errorf(casescribe.ENOTFOUND, "Fact not found.")
		}
		return casescribe.Fact{}, casescribe.Errorf(casescribe.EINVALID, "A fact carries at most %d tags.", MaxTags)
	}
	if err != nil {
		return casescribe.Fact{}, convert("tag fact", err)
	}
	var it factItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return casescribe.Fact{}, fmt.Errorf("decode fact: %w", err)
	}
	return it.domain(), nil
}

// BulkEdit is one change applied to many facts of a case at once.
type BulkEdit struct {
	Facts []FactEdit
	// KeyFact sets (or clears) the key flag of every fact; nil leaves it.
	KeyFact *bool
}

// FactEdit is what a bulk edit does to one fact, worked out from the fact as read at Version.
type FactEdit struct {
	ID      string
	Version int
	Add     []string
	Remove  []string
	// Group sets the fact's group (AI grouping); nil leaves it.
	Group *string
}

// MaxBulkFacts is how many facts one bulk edit may change: one transaction's worth.
const MaxBulkFacts = maxTransactItems

// BulkEditFacts applies edit to every named fact of the case in one transaction: all or
// nothing, and only if every fact is still at the version its edit was worked out from.
// Returns ENOTFOUND naming the first fact that is gone, ECONFLICT if one changed meanwhile.
func (s *Store) BulkEditFacts(ctx context.Context, orgID, caseID string, edit BulkEdit, now time.Time) error {
	items := make([]types.TransactWriteItem, 0, len(edit.Facts))
	for _, fe := range edit.Facts {
		upd := tagsUpdate(fe.Add, fe.Remove, now)
		if fe.Group != nil {
			upd = upd.Set(expression.Name("group"), expression.Value(*fe.Group))
		}
		if edit.KeyFact != nil {
			upd = upd.Set(expression.Name("keyFact"), expression.Value(*edit.KeyFact))
		}
		cond := mustExist().And(expression.Name("version").Equal(expression.Value(fe.Version)))
		expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return fmt.Errorf("build update: %w", err)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key: key(casePK(orgID, caseID), factSK(fe.ID)), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues:           expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i, r := range tce.CancellationReasons {
			if i < len(edit.Facts) && r.Code != nil && *r.Code == "ConditionalCheckFailed" {
				if r.Item == nil {
					return casescribe.Errorf(casescribe.ENOTFOUND, "Fact %s not found in this case; nothing was changed.", edit.Facts[i].ID)
				}
				return casescribe.Errorf(casescribe.ECONFLICT, "Fact %s changed meanwhile; nothing was changed, reload and try again.", edit.Facts[i].ID)
			}
		}
	}
	return convert("bulk edit facts", err)
}

// --- Saved views -----------------------------------------------------------------------------

// CreateView stores a new saved view of a case. Returns ENOTFOUND if the case is gone.
func (s *Store) CreateView(ctx context.Context, v casescribe.SavedView) error {
	return s.createInCase(ctx, v.OrgID, v.CaseID, v.ClientID, KindView, v.ID, newViewItem(v), nil, nil)
}

// GetView returns one saved view of a case. Returns ENOTFOUND if unknown.
func (s *Store) GetView(ctx context.Context, orgID, caseID, viewID string) (casescribe.SavedView, error) {
	var it viewItem
	if err := s.get(ctx, casePK(orgID, caseID), viewSK(viewID), "View", &it); err != nil {
		return casescribe.SavedView{}, err
	}
	return it.domain(), nil
}

// CaseViews returns every saved view of a case, oldest first.
func (s *Store) CaseViews(ctx context.Context, orgID, caseID string) ([]casescribe.SavedView, error) {
	return queryAll[casescribe.SavedView, viewItem](ctx, s, casePK(orgID, caseID), viewPrefix)
}

// UpdateView renames a view or changes its filter and sort. Returns ENOTFOUND if unknown.
func (s *Store) UpdateView(ctx context.Context, v casescribe.SavedView) (casescribe.SavedView, error) {
	upd := expression.Set(expression.Name("name"), expression.Value(v.Name)).
		Set(expression.Name("filter"), expression.Value(newFilterValue(v.Filter))).
		Set(expression.Name("sortField"), expression.Value(string(v.Sort.Field))).
		Set(expression.Name("sortDesc"), expression.Value(v.Sort.Desc)).
		Set(expression.Name("updatedAt"), expression.Value(v.UpdatedAt))
	var it viewItem
	err := s.update(ctx, key(casePK(v.OrgID, v.CaseID), viewSK(v.ID)), upd, mustExist(), &it)
	if conditionFailed(err, -1) {
		return casescribe.SavedView{}, casescribe.Errorf(casescribe.ENOTFOUND, "View not found.")
	}
	if err != nil {
		return casescribe.SavedView{}, convert("update view", err)
	}
	return it.domain(), nil
}

// DeleteView deletes a saved view that no share uses. Returns ENOTFOUND if it is gone and
// ECONFLICT while a share is limited to it: deleting it would otherwise either widen that
// guest's access to the whole case or silently take it away.
func (s *Store) DeleteView(ctx context.Context, v casescribe.SavedView) error {
	old, err := s.deleteWithRef(ctx, v.OrgID, casePK(v.OrgID, v.CaseID), viewSK(v.ID), v.ID,
		mustExist().And(sharesCounted(0)))
	if conditionFailed(err, 0) {
		if old == nil {
			return casescribe.Errorf(casescribe.ENOTFOUND, "View not found.")
		}
		var it viewItem
		_ = attributevalue.UnmarshalMap(old, &it)
		return casescribe.Errorf(casescribe.ECONFLICT,
			"This view is shared with guests (shares using it: %d); change or remove those shares first.", it.ShareCount)
	}
	return convert("delete view", err)
}

// --- Comments --------------------------------------------------------------------------------

// CreateComment stores a comment on a fact, which must still be at factVersion: a comment is
// accepted only on the fact as its author's access was checked. Returns ECONFLICT if the fact
// changed meanwhile and ENOTFOUND if it is gone.
func (s *Store) CreateComment(ctx context.Context, c casescribe.Comment, factVersion int) error {
	expr, err := expression.NewBuilder().WithCondition(
		mustExist().And(expression.Name("version").Equal(expression.Value(factVersion)))).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	put, err := s.put(newCommentItem(c))
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: key(casePK(c.OrgID, c.CaseID), factSK(c.FactID)),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues:           expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Put: put},
	}})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && conditionFailed(err, 0) {
		if tce.CancellationReasons[0].Item == nil {
			return casescribe.Errorf(casescribe.ENOTFOUND, "Fact not found.")
		}
		return errFactChanged
	}
	return convert("create comment", err)
}

// FactComments returns one page of a fact's comments, oldest first.
func (s *Store) FactComments(ctx context.Context, orgID, caseID, factID, cursor string, limit int) (casescribe.Page[casescribe.Comment], error) {
	items, next, err := s.queryPage(ctx, casePK(orgID, caseID), factCommentsPrefix(factID), "comments:"+factID, cursor, limit, validULID)
	if err != nil {
		return casescribe.Page[casescribe.Comment]{}, err
	}
	return decodePage[casescribe.Comment, commentItem](items, next)
}

// --- Documents -------------------------------------------------------------------------------

// CreateDocument stores a new document's metadata. Returns ENOTFOUND if the case is gone.
func (s *Store) CreateDocument(ctx context.Context, d casescribe.Document) error {
	return s.createInCase(ctx, d.OrgID, d.CaseID, d.ClientID, KindDocument, d.ID, newDocumentItem(d), nil, nil)
}

// GetDocument returns one document of a case. Returns ENOTFOUND if unknown.
func (s *Store) GetDocument(ctx context.Context, orgID, caseID, documentID string) (casescribe.Document, error) {
	var it documentItem
	if err := s.get(ctx, casePK(orgID, caseID), documentSK(documentID), "Document", &it); err != nil {
		return casescribe.Document{}, err
	}
	return it.domain(), nil
}

// CaseDocuments returns every document of a case, oldest first.
func (s *Store) CaseDocuments(ctx context.Context, orgID, caseID string) ([]casescribe.Document, error) {
	return queryAll[casescribe.Document, documentItem](ctx, s, casePK(orgID, caseID), docPrefix)
}

// DeleteDocument deletes a document's metadata and ref. Returns ENOTFOUND if it is gone.
func (s *Store) DeleteDocument(ctx context.Context, d casescribe.Document) error {
	_, err := s.deleteWithRef(ctx, d.OrgID, casePK(d.OrgID, d.CaseID), documentSK(d.ID), d.ID, mustExist())
	if conditionFailed(err, 0) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Document not found.")
	}
	return convert("delete document", err)
}

// --- Case summary ----------------------------------------------------------------------------

// GetSummary returns the summary of a case; a case without one has an empty summary at
// version 0.
func (s *Store) GetSummary(ctx context.Context, orgID, caseID string) (casescribe.CaseSummary, error) {
	var it summaryItem
	err := s.get(ctx, casePK(orgID, caseID), summarySK, "Summary", &it)
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		return casescribe.CaseSummary{OrgID: orgID, CaseID: caseID}, nil
	}
	if err != nil {
		return casescribe.CaseSummary{}, err
	}
	return it.domain(), nil
}

// PutSummary writes the summary of a case (sum.Version is the new version), in one
// transaction with the check that the case still exists under clientID. With expect >= 0 the
// stored summary must be at that version (0: none yet). Returns ENOTFOUND if the case is gone
// and ECONFLICT if the summary changed meanwhile.
func (s *Store) PutSummary(ctx context.Context, sum casescribe.CaseSummary, clientID string, expect int) error {
	cc, err := s.caseCheck(sum.OrgID, sum.CaseID, clientID)
	if err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(newSummaryItem(sum))
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	put := &types.Put{TableName: &s.table, Item: av}
	if expect >= 0 {
		cond := expression.AttributeNotExists(expression.Name("PK"))
		if expect > 0 {
			cond = expression.Name("version").Equal(expression.Value(expect))
		}
		expr, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return fmt.Errorf("build condition: %w", err)
		}
		put.ConditionExpression, put.ExpressionAttributeNames, put.ExpressionAttributeValues =
			expr.Condition(), expr.Names(), expr.Values()
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: cc}, {Put: put}}})
	switch {
	case conditionFailed(err, 0):
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	case conditionFailed(err, 1):
		return casescribe.Errorf(casescribe.ECONFLICT, "The summary changed since version %d; reload it and try again.", expect)
	}
	return convert("put summary", err)
}

// --- Purging ---------------------------------------------------------------------------------

// PurgeCase deletes the content of a deleted case (facts, views, documents, comments, summary
// and their refs) and returns the file keys of its documents, for the file store. Nothing can
// reach this content once the case item is gone, so purging after the delete exposes nothing;
// it is idempotent, so a purge cut short can simply run again.
func (s *Store) PurgeCase(ctx context.Context, orgID, caseID string) ([]string, error) {
	var files []string
	err := s.purge(ctx, casePK(orgID, caseID), "", func(raw map[string]types.AttributeValue) []map[string]types.AttributeValue {
		t, id := attributeString(raw, "type"), attributeString(raw, "id")
		switch t {
		case typeDocument:
			files = append(files, casescribe.Document{OrgID: orgID, CaseID: caseID, ID: id}.FileKey())
			fallthrough
		case typeFact, typeView, typeChat:
			return []map[string]types.AttributeValue{key(orgPK(orgID), refSK(id))}
		}
		return nil
	})
	return files, err
}

// purge deletes every item of a partition whose sort key starts with prefix, and for each the
// extra keys also(item) names, in batches.
func (s *Store) purge(ctx context.Context, pk, prefix string, also func(map[string]types.AttributeValue) []map[string]types.AttributeValue) error {
	return s.eachPage(ctx, pk, prefix, nil, nil, func(items []map[string]types.AttributeValue) error {
		var keys []map[string]types.AttributeValue
		for _, raw := range items {
			keys = append(keys, key(attributeString(raw, "PK"), attributeString(raw, "SK")))
			if also != nil {
				keys = append(keys, also(raw)...)
			}
		}
		return s.batchDelete(ctx, keys)
	})
}

// batchDelete deletes items by key, 25 at a time, retrying what comes back unprocessed.
func (s *Store) batchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for len(keys) > 0 {
		n := min(len(keys), 25)
		reqs := make([]types.WriteRequest, 0, n)
		for _, k := range keys[:n] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		keys = keys[n:]
		pending := map[string][]types.WriteRequest{s.table: reqs}
		for tries := 0; len(pending) > 0; tries++ {
			if tries > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Duration(tries*tries) * 20 * time.Millisecond):
				}
			}
			res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return convert("batch delete", err)
			}
			pending = res.UnprocessedItems
		}
	}
	return nil
}

// ViewNames returns the names of saved views, given as view id -> case id, in batch reads,
// keyed by view id. Views that no longer exist are absent.
func (s *Store) ViewNames(ctx context.Context, orgID string, views map[string]string) (map[string]string, error) {
	var keys []map[string]types.AttributeValue
	for viewID, caseID := range views {
		if viewID != "" && caseID != "" {
			keys = append(keys, key(casePK(orgID, caseID), viewSK(viewID)))
		}
	}
	out := make(map[string]string, len(keys))
	err := s.batchGetRaw(ctx, keys, []string{"id", "name"}, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			out[attributeString(it, "id")] = attributeString(it, "name")
		}
		return nil
	})
	return out, err
}
