// Command delete-case is the Lambda function of DELETE /cases/{caseId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
	"github.com/casescribe/sharing/pkg/s3files"
)

func main() {
	h, err := awslambda.Route("deleteCase", awslambda.Documents(s3files.FromConfig))
	if err != nil {
		log.Fatalf("delete-case: %v", err)
	}
	lambda.Start(h)
}
