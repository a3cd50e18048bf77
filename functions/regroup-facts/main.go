// Command regroup-facts is the Lambda function of POST /cases/{caseId}/ai/regroup.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
	"github.com/casescribe/sharing/pkg/bedrockai"
)

func main() {
	h, err := awslambda.Route("regroupFacts", awslambda.AI(bedrockai.FromConfig))
	if err != nil {
		log.Fatalf("regroup-facts: %v", err)
	}
	lambda.Start(h)
}
