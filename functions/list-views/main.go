// Command list-views is the Lambda function of GET /cases/{caseId}/views.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listViews")
	if err != nil {
		log.Fatalf("list-views: %v", err)
	}
	lambda.Start(h)
}
