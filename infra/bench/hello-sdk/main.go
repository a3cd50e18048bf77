// Command hello-sdk is hello with a DynamoDB client built at init the way the functions build
// theirs (pkg/awslambda, Config.DynamoDB): an aws.Config written by hand with static
// credentials from the environment. Against hello it prices the SDK client; against
// hello-config it shows what loading the configuration would add.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	db := dynamodb.NewFromConfig(aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	})
	lambda.Start(func(context.Context, map[string]any) (string, error) { return db.Options().Region, nil })
}
