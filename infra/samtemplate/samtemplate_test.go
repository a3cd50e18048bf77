package samtemplate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fullTemplate exercises short-form intrinsics in many positions, globals and
// several event types.
const fullTemplate = `
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Architectures: [arm64]
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        TABLE_ARN: !GetAtt Table.Arn
        ISSUER: !Sub "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "casescribe-${Stage}"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
        - {AttributeName: SK, AttributeType: S}
        - {AttributeName: GSI1PK, AttributeType: S}
        - {AttributeName: GSI1SK, AttributeType: N}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: GSI1
          KeySchema:
            - {AttributeName: GSI1PK, KeyType: HASH}
            - {AttributeName: GSI1SK, KeyType: RANGE}
          Projection:
            ProjectionType: INCLUDE
            NonKeyAttributes: [Name]
      LocalSecondaryIndexes:
        - IndexName: LSI1
          KeySchema:
            - {AttributeName: PK, KeyType: HASH}
            - {AttributeName: GSI1SK, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification:
        AttributeName: expiresAt
        Enabled: true
      SSESpecification:
        SSEEnabled: !If [IsProd, true, false]
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers:
          Cognito:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !Sub "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
              audience: [!Ref UserPoolClient]
  SharesFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
    Properties:
      CodeUri: functions/shares/
      Events:
        Create:
          Type: HttpApi
          Properties: {Method: post, Path: "/cases/{caseId}/shares", ApiId: !Ref Api}
        List:
          Type: HttpApi
          Properties: {Method: GET, Path: "/cases/{caseId}/shares", ApiId: !Ref Api}
        Accept:
          Type: HttpApi
          Properties:
            Method: POST
            Path: /invitations/{token}/accept
            ApiId: !Ref Api
            Auth:
              Authorizer: NONE
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
  AdminFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      CodeUri: !Sub "s3://bucket/${Stage}/admin.zip"
      Handler: admin
      Runtime: provided.al2
      Architectures: [x86_64]
      Role: !GetAtt AdminRole.Arn
Outputs:
  ApiUrl:
    Value: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com"
`

func mustParse(t *testing.T, src string) *Template {
	t.Helper()
	tpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tpl
}

func TestFunctions(t *testing.T) {
	got := mustParse(t, fullTemplate).Functions()
	want := []Function{
		{
			LogicalID:     "AdminFunction",
			CodeURI:       "", // an intrinsic cannot be resolved locally
			Handler:       "admin",
			Runtime:       "provided.al2",
			Architectures: []string{"x86_64"},
			BuildMethod:   "makefile",
		},
		{
			LogicalID:     "SharesFunction",
			CodeURI:       "functions/shares/",
			Handler:       "bootstrap",
			Runtime:       "provided.al2023",
			Architectures: []string{"arm64"},
			BuildMethod:   "go1.x",
			Events: []HTTPEvent{
				{Method: "GET", Path: "/cases/{caseId}/shares"},
				{Method: "POST", Path: "/cases/{caseId}/shares"},
				{Method: "POST", Path: "/invitations/{token}/accept", AuthNone: true},
			},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Functions() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestFunctionsReturnsCopy(t *testing.T) {
	tpl := mustParse(t, fullTemplate)
	fns := tpl.Functions()
	fns[1].Events[0].Path = "/mutated"
	fns[1].Architectures[0] = "mutated"
	again := tpl.Functions()
	if got := again[1].Events[0].Path; got != "/cases/{caseId}/shares" {
		t.Errorf("Events[0].Path after caller mutation = %q, want unchanged", got)
	}
	if got := again[1].Architectures[0]; got != "arm64" {
		t.Errorf("Architectures[0] after caller mutation = %q, want unchanged", got)
	}
}

func TestTableInput(t *testing.T) {
	got, err := mustParse(t, fullTemplate).TableInput("Table", "t-test")
	if err != nil {
		t.Fatalf("TableInput: %v", err)
	}
	key := func(name string, kt types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
	}
	attr := func(name string, at types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: at}
	}
	want := &dynamodb.CreateTableInput{
		TableName:   aws.String("t-test"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			attr("PK", types.ScalarAttributeTypeS),
			attr("SK", types.ScalarAttributeTypeS),
			attr("GSI1PK", types.ScalarAttributeTypeS),
			attr("GSI1SK", types.ScalarAttributeTypeN),
		},
		KeySchema: []types.KeySchemaElement{key("PK", types.KeyTypeHash), key("SK", types.KeyTypeRange)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String("GSI1"),
			KeySchema: []types.KeySchemaElement{key("GSI1PK", types.KeyTypeHash), key("GSI1SK", types.KeyTypeRange)},
			Projection: &types.Projection{
				ProjectionType:   types.ProjectionTypeInclude,
				NonKeyAttributes: []string{"Name"},
			},
		}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName:  aws.String("LSI1"),
			KeySchema:  []types.KeySchemaElement{key("PK", types.KeyTypeHash), key("GSI1SK", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TableInput() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestTableInputErrors(t *testing.T) {
	const header = "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
	tests := []struct {
		name      string
		src       string
		logicalID string
		tableName string
		wantErr   string
	}{
		{
			name:      "missing resource",
			src:       fullTemplate,
			logicalID: "Nope",
			tableName: "t",
			wantErr:   "resource Nope not found",
		},
		{
			name:      "wrong type",
			src:       fullTemplate,
			logicalID: "SharesFunction",
			tableName: "t",
			wantErr:   `has type "AWS::Serverless::Function"`,
		},
		{
			name:      "empty table name",
			src:       fullTemplate,
			logicalID: "Table",
			tableName: "",
			wantErr:   "empty table name",
		},
		{
			name: "undefined key attribute",
			src: header + `      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}, {AttributeName: SK, KeyType: RANGE}]
`,
			logicalID: "Table",
			tableName: "t",
			wantErr:   `key attribute "SK" is not in AttributeDefinitions`,
		},
		{
			name: "range before hash",
			src: header + `      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: RANGE}]
`,
			logicalID: "Table",
			tableName: "t",
			wantErr:   `KeyType "RANGE", want "HASH"`,
		},
		{
			name: "bad attribute type",
			src: header + `      AttributeDefinitions: [{AttributeName: PK, AttributeType: X}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
`,
			logicalID: "Table",
			tableName: "t",
			wantErr:   `unknown AttributeType "X"`,
		},
		{
			name: "bad projection",
			src: header + `      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: G
          KeySchema: [{AttributeName: PK, KeyType: HASH}]
`,
			logicalID: "Table",
			tableName: "t",
			wantErr:   `global secondary index "G": unknown Projection.ProjectionType ""`,
		},
		{
			name: "intrinsic key name",
			src: header + `      AttributeDefinitions: [{AttributeName: !Ref KeyName, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
`,
			logicalID: "Table",
			tableName: "t",
			wantErr:   "decode Properties",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustParse(t, tt.src).TableInput(tt.logicalID, tt.tableName)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("TableInput() error = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTTLAttribute(t *testing.T) {
	const header = "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      KeySchema: []\n"
	tests := []struct {
		name    string
		src     string
		want    string
		wantErr string
	}{
		{name: "enabled", src: fullTemplate, want: "expiresAt"},
		{name: "absent", src: header, want: ""},
		{
			name: "disabled",
			src:  header + "      TimeToLiveSpecification: {AttributeName: ttl, Enabled: false}\n",
			want: "",
		},
		{
			name:    "intrinsic enabled",
			src:     header + "      TimeToLiveSpecification: {AttributeName: ttl, Enabled: !Ref UseTTL}\n",
			wantErr: "not a literal boolean",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustParse(t, tt.src).TTLAttribute("Table")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("TTLAttribute() error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("TTLAttribute: %v", err)
			}
			if got != tt.want {
				t.Errorf("TTLAttribute() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr string
	}{
		{name: "empty", src: "", wantErr: "document is empty"},
		{name: "invalid yaml", src: "Resources: [", wantErr: "parse SAM template"},
		{name: "no resources", src: "Description: x\n", wantErr: "no Resources"},
		{name: "resources not a map", src: "Resources: [a, b]\n", wantErr: "decode SAM template"},
		{
			name: "relative path",
			src: `Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E: {Type: HttpApi, Properties: {Method: GET, Path: cases}}
`,
			wantErr: `resource F: event E: Path "cases" must start with /`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse() error = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestShortIntrinsics checks the rewrite of short-form tags into long-form
// mappings, including the GetAtt "A.B" → [A, B] split and the names that do
// not take the Fn:: prefix.
func TestShortIntrinsics(t *testing.T) {
	tpl := mustParse(t, `
Resources:
  X:
    Type: Custom::Thing
    Properties:
      Ref: !Ref Table
      Att: !GetAtt Table.StreamSpecification.StreamArn
      AttList: !GetAtt [Table, Arn]
      Sub: !Sub "arn:${AWS::Partition}:x"
      SubList: !Sub ["${A}", {A: !Ref B}]
      Cond: !Condition IsProd
      Join: !Join ["-", [a, !Ref C]]
      Quoted: !Ref "007"
      Plain: "!NotATag"
`)
	var got map[string]any
	props := tpl.resources["X"].Properties
	if err := props.Decode(&got); err != nil {
		t.Fatalf("decode properties: %v", err)
	}
	want := map[string]any{
		"Ref":     map[string]any{"Ref": "Table"},
		"Att":     map[string]any{"Fn::GetAtt": []any{"Table", "StreamSpecification.StreamArn"}},
		"AttList": map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}},
		"Sub":     map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x"},
		"SubList": map[string]any{"Fn::Sub": []any{"${A}", map[string]any{"A": map[string]any{"Ref": "B"}}}},
		"Cond":    map[string]any{"Condition": "IsProd"},
		"Join":    map[string]any{"Fn::Join": []any{"-", []any{"a", map[string]any{"Ref": "C"}}}},
		"Quoted":  map[string]any{"Ref": "007"},
		"Plain":   "!NotATag",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("properties =\n%#v\nwant\n%#v", got, want)
	}
}

// TestRealTemplate guards the contract between the repository's template.yaml
// and the local emulators: the single-table design with PK/SK and GSI1.
func TestRealTemplate(t *testing.T) {
	tpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	in, err := tpl.TableInput("Table", "casescribe-local")
	if err != nil {
		t.Fatalf("TableInput: %v", err)
	}
	keyNames := func(ks []types.KeySchemaElement) []string {
		var out []string
		for _, k := range ks {
			out = append(out, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		return out
	}
	if got, want := keyNames(in.KeySchema), []string{"PK:HASH", "SK:RANGE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("KeySchema = %v, want %v", got, want)
	}
	if len(in.GlobalSecondaryIndexes) != 2 {
		t.Fatalf("got %d GSIs, want 2 (GSI1, and GSI2 the expiry index)", len(in.GlobalSecondaryIndexes))
	}
	if gsi2 := in.GlobalSecondaryIndexes[1]; aws.ToString(gsi2.IndexName) != "GSI2" ||
		!reflect.DeepEqual(keyNames(gsi2.KeySchema), []string{"GSI2PK:HASH", "GSI2SK:RANGE"}) {
		t.Errorf("second GSI = %s %v, want GSI2 on GSI2PK, GSI2SK", aws.ToString(gsi2.IndexName), keyNames(gsi2.KeySchema))
	}
	gsi := in.GlobalSecondaryIndexes[0]
	if got, want := aws.ToString(gsi.IndexName), "GSI1"; got != want {
		t.Errorf("GSI name = %q, want %q", got, want)
	}
	if got, want := keyNames(gsi.KeySchema), []string{"GSI1PK:HASH", "GSI1SK:RANGE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GSI1 KeySchema = %v, want %v", got, want)
	}
	if got, want := gsi.Projection.ProjectionType, types.ProjectionTypeAll; got != want {
		t.Errorf("GSI1 projection = %q, want %q", got, want)
	}
	if got, want := in.BillingMode, types.BillingModePayPerRequest; got != want {
		t.Errorf("BillingMode = %q, want %q", got, want)
	}
	ttl, err := tpl.TTLAttribute("Table")
	if err != nil {
		t.Fatalf("TTLAttribute: %v", err)
	}
	if got, want := ttl, "ttl"; got != want {
		t.Errorf("TTLAttribute = %q, want %q", got, want)
	}
	// Functions are added to the template over time; whatever is there must
	// parse and every HTTP route must have a method and an absolute path.
	for _, fn := range tpl.Functions() {
		for _, ev := range fn.Events {
			if ev.Path != "" && !strings.HasPrefix(ev.Path, "/") {
				t.Errorf("function %s: route path %q is not absolute", fn.LogicalID, ev.Path)
			}
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if err == nil || !strings.Contains(err.Error(), "read SAM template") {
		t.Errorf("Load() error = %v, want a read error", err)
	}
}
