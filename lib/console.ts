// The web console on AWS: its built files (console/dist) in a private S3 bucket that only CloudFront
// reads (origin access control), served under /console/ as on the local stack (Vite's base; unknown
// /console/* paths get index.html, the SPA's routes), with security headers on every response, a
// config.json of deploy-time values next to index.html, and CORS on the HTTP API for exactly this origin.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  type CfnElement,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { Api } from './api';
import { contentSecurityPolicy, HSTS_MAX_AGE_SECONDS } from './console-headers';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The path the console lives under, on AWS as locally (its Vite base). */
export const CONSOLE_PATH = '/console/';

/** OIDC sign-in (Cognito hosted UI) as the console's config.json carries it. */
export interface ConsoleOidc {
  /** The Cognito domain URL (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  readonly authority: string;
  /** The app client id (the API's `jwtAudience`). */
  readonly clientId: string;
  /** @default - the console's own (openid) */
  readonly scopes?: readonly string[];
}

export interface ConsoleProps {
  readonly api: Api;
  /**
   * The WebSocket URL (`wss://…/live`) the console subscribes on.
   * @default - none: the console polls
   */
  readonly liveUrl?: string;
  /** @default - API keys only */
  readonly oidc?: ConsoleOidc;
  /**
   * The console's source folder; its build output is `<consoleDir>/dist`.
   * @default console/ of this project
   */
  readonly consoleDir?: string;
}

export class Console extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  readonly deployment: s3deploy.BucketDeployment;
  /** Sets the HTTP API's CORS for the console's origin (see allowCorsFrom). */
  readonly cors: cr.AwsCustomResource;
  /** `https://<distribution>/console/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const consoleDir = props.consoleDir ?? join(PROJECT_ROOT, 'console');
    // Without the stage URL's trailing slash, as the local stack's endpoints.json has it.
    const apiUrl = props.api.httpApi.apiEndpoint;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Only built files live here: a new deployment writes them again.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the console build, written by the deployment and read only by CloudFront through origin access control; no user data, nothing whose access needs auditing.',
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'stepwise console: CSP allowing the API and WebSocket only, HSTS, no framing, no sniffing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy({
            apiUrl,
            ...(props.liveUrl && { liveUrl: props.liveUrl }),
            ...(props.oidc && { oidcUrls: [props.oidc.authority] }),
          }),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'stepwise console',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [
          { eventType: cloudfront.FunctionEventType.VIEWER_REQUEST, function: this.spaRoutes() },
        ],
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The console is for the operators of this deployment wherever they are; no geography to exclude.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves only static, public build files (cached, read-only); every data request goes to the HTTP API, which authenticates each one.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Only static, public build files are served here; the requests that touch data reach the HTTP API, whose stage keeps access logs.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The distribution uses CloudFront's default *.cloudfront.net certificate, whose security policy CloudFront fixes (TLSv1); a custom domain with its own certificate would allow a TLS 1.2 minimum.",
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}${CONSOLE_PATH}`;

    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [
        consoleBuild(consoleDir),
        s3deploy.Source.jsonData('config.json', {
          apiUrl,
          liveUrl: props.liveUrl ?? null,
          ...(props.oidc && {
            oidc: {
              authority: props.oidc.authority,
              clientId: props.oidc.clientId,
              ...(props.oidc.scopes && { scopes: props.oidc.scopes }),
            },
          }),
        }),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      // Files of an older build are removed, and cached copies dropped, so a deployment shows at once.
      prune: true,
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
    });
    this.cors = this.allowCorsFrom(props.api, `https://${this.distribution.distributionDomainName}`);
    this.acknowledgeCdkHandlers();
  }

  /**
   * A viewer-request function: `/` and `/console` go to `/console/`, and a `/console/` path without a file
   * extension (a route of the SPA) is answered with index.html, as the local stack does. Missing files
   * stay errors rather than pages.
   */
  private spaRoutes(): cloudfront.Function {
    return new cloudfront.Function(this, 'SpaRoutes', {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'stepwise console: SPA routes under /console/ answered with index.html',
      code: cloudfront.FunctionCode.fromInline(`
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '${CONSOLE_PATH.slice(0, -1)}') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '${CONSOLE_PATH}' } } };
  }
  if (uri.startsWith('${CONSOLE_PATH}') && !/\\.[A-Za-z0-9]+$/.test(uri)) {
    request.uri = '${CONSOLE_PATH}index.html';
  }
  return request;
}`),
    });
  }

  /**
   * CORS for the console's origin. The API's own CorsConfiguration cannot name the distribution: the
   * distribution's CSP names the API, a dependency cycle. So a custom resource sets it once both exist.
   */
  private allowCorsFrom(api: Api, origin: string): cr.AwsCustomResource {
    const { apiId } = api.httpApi;
    return new cr.AwsCustomResource(this, 'ApiCors', {
      onUpdate: {
        service: 'ApiGatewayV2',
        action: 'UpdateApi',
        parameters: {
          ApiId: apiId,
          CorsConfiguration: {
            AllowOrigins: [origin],
            AllowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
            AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
            MaxAge: 3600,
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${apiId}-console-cors`),
      },
      onDelete: { service: 'ApiGatewayV2', action: 'DeleteCorsConfiguration', parameters: { ApiId: apiId } },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['apigateway:PATCH', 'apigateway:DELETE'],
          resources: [
            Stack.of(this).formatArn({
              service: 'apigateway',
              account: '',
              resource: '/apis',
              resourceName: apiId,
            }),
            Stack.of(this).formatArn({
              service: 'apigateway',
              account: '',
              resource: '/apis',
              resourceName: `${apiId}/cors`,
            }),
          ],
        }),
      ]),
      installLatestAwsSdk: false,
    });
  }

  /**
   * The findings on the handlers CDK adds (BucketDeployment's, AwsCustomResource's): their roles and
   * grants are CDK's, made for exactly these resources; each acknowledgement names what it covers.
   */
  private acknowledgeCdkHandlers(): void {
    const stack = Stack.of(this);
    const basicExecution =
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
    for (const child of stack.node.children) {
      const deploymentHandler = child.node.id.startsWith('Custom::CDKBucketDeployment');
      // AwsCustomResource's singleton provider, by the id CDK gives it.
      const customResourceHandler = child.node.id === 'AWS679f53fac002430cb0da5b7982bd2287';
      if (!deploymentHandler && !customResourceHandler) continue;
      Validations.of(child).acknowledge({
        id: basicExecution,
        reason:
          "CDK's deployment-time handler: the managed policy lets it write its own CloudWatch logs, nothing else.",
      });
      if (!deploymentHandler) continue;
      const copy =
        "BucketDeployment's grants (CDK's): it reads the staged build from the CDK assets bucket and writes, lists and prunes it under this console bucket.";
      Validations.of(child).acknowledge(
        { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: copy },
        { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: copy },
        { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: copy },
        { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: copy },
        { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: copy },
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${nagValue(stack.account, 'AWS::AccountId')}-${nagValue(stack.region, 'AWS::Region')}/*]`,
          reason: copy,
        },
        {
          id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>/*]`,
          reason: copy,
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            "BucketDeployment grants cloudfront:CreateInvalidation/GetInvalidation on '*' to invalidate /console/* of this distribution after a deployment.",
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            "BucketDeployment's handler runs the Python runtime CDK pins for it, during deployments only.",
        },
      );
    }
  }
}

/** A stack value as cdk-nag writes it in a finding id: the pseudo parameter's name unless it is known. */
const nagValue = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);

/**
 * The console's built files as an asset: built here, with the local toolchain (never Docker), when any
 * source file is newer than the last build, so `cdk synth`/`cdk deploy` need no command before them.
 * The asset's hash is the build output's, so an unchanged build uploads nothing.
 */
function consoleBuild(consoleDir: string): s3deploy.ISource {
  return s3deploy.Source.asset(consoleDir, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type; local bundling below always builds or throws, so Docker never runs.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          // The same build-when-stale as `npm start` (local/console-build.ts), run to completion here:
          // bundling is synchronous.
          const build = spawnSync(
            process.execPath,
            [
              '--import',
              'tsx',
              '--input-type=module',
              '--eval',
              "const { ensureConsoleBuilt } = await import('./local/console-build.ts'); await ensureConsoleBuilt({ log: console.error });",
            ],
            { cwd: PROJECT_ROOT, stdio: 'inherit' },
          );
          if (build.status !== 0) throw new Error(`console build failed (exit ${build.status})`);
          // The build's stamp (local/console-build.ts) is for the staleness check, not for the bucket.
          cpSync(join(consoleDir, 'dist'), outputDir, {
            recursive: true,
            filter: (source) => basename(source) !== '.build-stamp',
          });
          return true;
        },
      },
    },
  });
}
