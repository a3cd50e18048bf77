package localstack

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/casescribe/sharing/infra/samtemplate"
)

// TableLogicalID is the logical ID of the application table in template.yaml.
const TableLogicalID = "Table"

// tableActiveTimeout bounds waiting for a new table to become ACTIVE.
// DynamoDB Local creates tables synchronously, so this only matters against
// slower emulators.
const tableActiveTimeout = 30 * time.Second

// CreateTable creates tableName with the schema of the Table resource in
// root/template.yaml (root "" = found by walking up to go.mod), so local
// tables can never drift from the deployed one, and waits until it is ACTIVE.
func CreateTable(ctx context.Context, db *dynamodb.Client, root, tableName string) error {
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return fmt.Errorf("create table %s: %w", tableName, err)
		}
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return fmt.Errorf("create table %s: %w", tableName, err)
	}
	in, err := tpl.TableInput(TableLogicalID, tableName)
	if err != nil {
		return fmt.Errorf("create table %s: %w", tableName, err)
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table %s: %w", tableName, err)
	}
	// The SDK waiter defaults to 20 s between polls, tuned for real AWS;
	// locally the table is ready in milliseconds.
	waiter := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tableName)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("create table %s: wait until active: %w", tableName, err)
	}
	return nil
}
