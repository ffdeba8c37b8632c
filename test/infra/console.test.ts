// The console's hosting: a bucket nobody reads but CloudFront (origin access control), the distribution's
// security headers with a CSP naming the API, config.json deployed with the deploy-time URLs, CORS on the
// HTTP API for the distribution's origin only, and the ConsoleUrl output. OIDC settings reach config.json
// and the CSP when the stack has a Cognito domain.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { logicalId, synthesize } from './synth';

const built = synthesize();
const { template, stack } = built;

/** A CloudFormation value as it reads once deployed: references as `<LogicalId>` or `<LogicalId.Attribute>`. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return `<${object.Ref}>`;
  if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
  return parts.map(rendered).join(separator);
}

/** The WebSocket stage's URL as deployed: `wss://<api id>.execute-api.<region>.<suffix>/live`. */
const liveUrl = `wss://<${logicalId(stack, stack.live.webSocketApi)}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/live`;

const single = (type: string) => {
  const resources = Object.entries(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0] as [string, { Properties: Record<string, unknown> }];
};

describe('console hosting', () => {
  it('keeps the bucket private: all public access blocked, TLS only, no website hosting', () => {
    const bucketId = logicalId(stack, stack.console.bucket);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId];
    expect(bucket?.Properties.WebsiteConfiguration).toBeUndefined();
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    );
    // Reads are granted to the CloudFront service, for this distribution only; to nobody else.
    const reads = statements.filter(
      (s) => s.Effect === 'Allow' && JSON.stringify(s.Action).includes('s3:GetObject'),
    );
    expect(reads).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    expect(JSON.stringify(reads[0]?.Condition)).toContain(logicalId(stack, stack.console.distribution));
  });

  it('serves the bucket through CloudFront with origin access control, HTTPS only', () => {
    const [oacId] = single('AWS::CloudFront::OriginAccessControl');
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [
          Match.objectLike({
            OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
            S3OriginConfig: { OriginAccessIdentity: '' },
          }),
        ],
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          ResponseHeadersPolicyId: { Ref: logicalId(stack, stack.console.responseHeadersPolicy) },
        }),
      }),
    });
  });

  it('sends the security headers: HSTS, a CSP allowing the API and WebSocket, nosniff, DENY framing, no referrer', () => {
    const [, policy] = single('AWS::CloudFront::ResponseHeadersPolicy');
    const headers = (policy.Properties.ResponseHeadersPolicyConfig as Record<string, unknown>)
      .SecurityHeadersConfig as Record<string, Record<string, unknown>>;
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63_072_000,
      IncludeSubdomains: true,
      Override: true,
    });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(headers.ContentSecurityPolicy?.Override).toBe(true);
    const csp = rendered(headers.ContentSecurityPolicy?.ContentSecurityPolicy);
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' <${logicalId(stack, stack.api.httpApi)}.ApiEndpoint> ${liveUrl}`,
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]);
  });

  it('deploys the build and a config.json with the API and WebSocket URLs under console/, invalidating the cache', () => {
    const [, deployment] = single('Custom::CDKBucketDeployment');
    expect(deployment.Properties).toMatchObject({
      DestinationBucketName: { Ref: logicalId(stack, stack.console.bucket) },
      DestinationBucketKeyPrefix: 'console/',
      Prune: true,
      DistributionId: { Ref: logicalId(stack, stack.console.distribution) },
      DistributionPaths: ['/console/*'],
    });
    // Two sources: the build, and config.json whose deploy-time values are markers the handler fills in.
    const keys = deployment.Properties.SourceObjectKeys as string[];
    expect(keys).toHaveLength(2);
    const markers = (deployment.Properties.SourceMarkers as Record<string, unknown>[])[1] ?? {};
    const config = JSON.parse(
      readFileSync(join(built.app.outdir, `asset.${keys[1]?.replace(/\.zip$/, '')}`, 'config.json'), 'utf8'),
    ) as Record<string, string>;
    const filled = (value: string) =>
      value.replace(/<<marker:0xbaba:\d+>>/g, (marker) => rendered(markers[marker]));
    expect(Object.keys(config).sort()).toEqual(['apiUrl', 'liveUrl']);
    expect(filled(config.apiUrl ?? '')).toBe(`<${logicalId(stack, stack.api.httpApi)}.ApiEndpoint>`);
    expect(filled(config.liveUrl ?? '')).toBe(liveUrl);
  });

  it('sets CORS on the HTTP API for the distribution origin only', () => {
    const [, resource] = single('Custom::AWS');
    const create = JSON.stringify(resource.Properties.Create);
    expect(create).toContain('UpdateApi');
    expect(create).toContain('AllowOrigins');
    expect(create).toContain(logicalId(stack, stack.console.distribution));
    expect(create).not.toContain('"*"');
  });

  it('outputs ConsoleUrl: the distribution under /console/', () => {
    template.hasOutput('ConsoleUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { 'Fn::GetAtt': [logicalId(stack, stack.console.distribution), 'DomainName'] },
            '/console/',
          ],
        ],
      },
    });
  });

  it('puts the Cognito hosted UI in config.json and the CSP when configured', () => {
    const oidc = synthesize({
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool',
      jwtAudience: 'console-client',
      cognitoDomain: 'https://stepwise.auth.eu-west-1.amazoncognito.com/',
    });
    const [, deployment] =
      Object.entries(oidc.template.findResources('Custom::CDKBucketDeployment'))[0] ?? [];
    const markers = JSON.stringify(deployment?.Properties.SourceMarkers);
    expect(markers).toBeDefined();
    const csp = JSON.stringify(
      Object.values(oidc.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0],
    );
    expect(csp).toContain('https://stepwise.auth.eu-west-1.amazoncognito.com');
    // The page exchanges the code at the Cognito domain only; the issuer's keys are the authorizer's business.
    expect(csp).not.toContain('cognito-idp');
  });

  it('leaves no cdk-nag finding in a stack with a region and an account (as `cdk synth` gives them)', () => {
    const regional = buildApp({
      context: { 'aws:cdk:bundling-stacks': [] },
      env: { region: 'eu-west-1', account: '123456789012' },
    });
    const findings = regional.nag
      .validateScope(regional.app)
      .violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`),
      );
    expect(findings).toEqual([]);
  });

  it('refuses a Cognito domain without an issuer the API accepts', () => {
    expect(() =>
      buildApp({
        context: {
          'aws:cdk:bundling-stacks': [],
          cognitoDomain: 'https://x.auth.eu-west-1.amazoncognito.com',
        },
        env: {},
      }),
    ).toThrow(/cognitoDomain needs jwtIssuer/);
  });
});
