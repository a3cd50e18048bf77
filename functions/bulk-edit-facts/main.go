// Command bulk-edit-facts is the Lambda function of POST /cases/{caseId}/facts/bulk-edit.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("bulkEditFacts")
	if err != nil {
		log.Fatalf("bulk-edit-facts: %v", err)
	}
	lambda.Start(h)
}
