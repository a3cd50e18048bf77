// Command hello-config is hello-sdk with the configuration loaded by the SDK's default loader,
// config.LoadDefaultConfig, as most examples do: it reads the environment, the shared config
// and credentials files and sets up the whole credential chain (SSO, STS, IMDS...). The
// functions build their aws.Config by hand instead; the benchmark reports what that saves.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("hello-config: %v", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	lambda.Start(func(context.Context, map[string]any) (string, error) { return db.Options().Region, nil })
}
