package samtemplate

import (
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

// tableProperties are the AWS::DynamoDB::Table properties we read. Key names
// and types must be literal strings: an intrinsic there could not be resolved
// locally, so decoding fails loudly instead of creating a wrong table.
type tableProperties struct {
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema               []keyElement `yaml:"KeySchema"`
	GlobalSecondaryIndexes  []index      `yaml:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes   []index      `yaml:"LocalSecondaryIndexes"`
	TimeToLiveSpecification *struct {
		AttributeName string `yaml:"AttributeName"`
		// Enabled stays a node so an intrinsic here only fails TTLAttribute,
		// not TableInput, which does not care about TTL.
		Enabled yaml.Node `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
}

type keyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

type index struct {
	IndexName  string       `yaml:"IndexName"`
	KeySchema  []keyElement `yaml:"KeySchema"`
	Projection struct {
		ProjectionType   string   `yaml:"ProjectionType"`
		NonKeyAttributes []string `yaml:"NonKeyAttributes"`
	} `yaml:"Projection"`
}

// tableProps decodes the properties of the AWS::DynamoDB::Table logicalID.
func (t *Template) tableProps(logicalID string) (tableProperties, error) {
	var props tableProperties
	r, err := t.lookup(logicalID, typeDynamoDBTable)
	if err != nil {
		return props, err
	}
	if err := decodeOptional(&r.Properties, &props); err != nil {
		return props, fmt.Errorf("resource %s: decode Properties: %w", logicalID, err)
	}
	return props, nil
}

// TableInput builds a CreateTableInput named tableName from the
// AWS::DynamoDB::Table resource logicalID: attribute definitions, key schema
// and global/local secondary indexes with their projections. The table is
// always PAY_PER_REQUEST, so no throughput needs to be invented. TTL,
// point-in-time recovery and encryption settings are ignored because they are
// not part of CreateTable and DynamoDB Local does not need them; see
// TTLAttribute for the TTL attribute. The template's TableName, if any, is
// ignored in favour of tableName so tests can create many isolated copies.
func (t *Template) TableInput(logicalID, tableName string) (*dynamodb.CreateTableInput, error) {
	if tableName == "" {
		return nil, errors.New("table input: empty table name")
	}
	props, err := t.tableProps(logicalID)
	if err != nil {
		return nil, fmt.Errorf("table input: %w", err)
	}

	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(tableName),
		BillingMode: types.BillingModePayPerRequest,
	}
	defined := map[string]bool{}
	for i, ad := range props.AttributeDefinitions {
		typ := types.ScalarAttributeType(ad.AttributeType)
		if ad.AttributeName == "" {
			return nil, fmt.Errorf("table input: %s: AttributeDefinitions[%d]: empty AttributeName", logicalID, i)
		}
		if !slices.Contains(typ.Values(), typ) {
			return nil, fmt.Errorf("table input: %s: attribute %s: unknown AttributeType %q", logicalID, ad.AttributeName, ad.AttributeType)
		}
		defined[ad.AttributeName] = true
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(ad.AttributeName),
			AttributeType: typ,
		})
	}

	in.KeySchema, err = keySchema(props.KeySchema, defined)
	if err != nil {
		return nil, fmt.Errorf("table input: %s: KeySchema: %w", logicalID, err)
	}
	for _, ix := range props.GlobalSecondaryIndexes {
		ks, proj, err := indexParts(ix, defined)
		if err != nil {
			return nil, fmt.Errorf("table input: %s: global secondary index %q: %w", logicalID, ix.IndexName, err)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.IndexName), KeySchema: ks, Projection: proj,
		})
	}
	for _, ix := range props.LocalSecondaryIndexes {
		ks, proj, err := indexParts(ix, defined)
		if err != nil {
			return nil, fmt.Errorf("table input: %s: local secondary index %q: %w", logicalID, ix.IndexName, err)
		}
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName: aws.String(ix.IndexName), KeySchema: ks, Projection: proj,
		})
	}
	return in, nil
}

// TTLAttribute returns the attribute name of the table's enabled
// TimeToLiveSpecification, or "" when the table has no TTL or it is disabled.
// Callers can pass it to UpdateTimeToLive if they want to exercise TTL.
func (t *Template) TTLAttribute(logicalID string) (string, error) {
	props, err := t.tableProps(logicalID)
	if err != nil {
		return "", fmt.Errorf("TTL attribute: %w", err)
	}
	ttl := props.TimeToLiveSpecification
	if ttl == nil || ttl.Enabled.Kind == 0 {
		return "", nil
	}
	var enabled bool
	if ttl.Enabled.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("TTL attribute: %s: TimeToLiveSpecification.Enabled is not a literal boolean", logicalID)
	}
	if err := ttl.Enabled.Decode(&enabled); err != nil {
		return "", fmt.Errorf("TTL attribute: %s: TimeToLiveSpecification.Enabled: %w", logicalID, err)
	}
	if !enabled {
		return "", nil
	}
	return ttl.AttributeName, nil
}

// indexParts converts an index's key schema and projection.
func indexParts(ix index, defined map[string]bool) ([]types.KeySchemaElement, *types.Projection, error) {
	if ix.IndexName == "" {
		return nil, nil, errors.New("empty IndexName")
	}
	ks, err := keySchema(ix.KeySchema, defined)
	if err != nil {
		return nil, nil, fmt.Errorf("KeySchema: %w", err)
	}
	pt := types.ProjectionType(ix.Projection.ProjectionType)
	if !slices.Contains(pt.Values(), pt) {
		return nil, nil, fmt.Errorf("unknown Projection.ProjectionType %q", ix.Projection.ProjectionType)
	}
	proj := &types.Projection{ProjectionType: pt}
	if len(ix.Projection.NonKeyAttributes) > 0 {
		proj.NonKeyAttributes = append([]string(nil), ix.Projection.NonKeyAttributes...)
	}
	return ks, proj, nil
}

// keySchema converts and checks a key schema: one HASH key, optionally
// followed by one RANGE key, each declared in AttributeDefinitions. Checking
// here gives a template-level error instead of an opaque emulator one.
func keySchema(elems []keyElement, defined map[string]bool) ([]types.KeySchemaElement, error) {
	if len(elems) == 0 || len(elems) > 2 {
		return nil, fmt.Errorf("want 1 or 2 key elements, got %d", len(elems))
	}
	out := make([]types.KeySchemaElement, 0, len(elems))
	for i, e := range elems {
		want := types.KeyTypeHash
		if i == 1 {
			want = types.KeyTypeRange
		}
		if types.KeyType(e.KeyType) != want {
			return nil, fmt.Errorf("element %d (%s): KeyType %q, want %q", i, e.AttributeName, e.KeyType, want)
		}
		if !defined[e.AttributeName] {
			return nil, fmt.Errorf("key attribute %q is not in AttributeDefinitions", e.AttributeName)
		}
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(e.AttributeName), KeyType: want})
	}
	return out, nil
}
