// Command sweep-shares is the scheduled Lambda function that warns of shares ending in three
// days, and removes and records the shares that have ended.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Sweep()
	if err != nil {
		log.Fatalf("sweep-shares: %v", err)
	}
	lambda.Start(h)
}
