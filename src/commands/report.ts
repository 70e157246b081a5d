import { DEFAULTS } from '../defaults.js';
import type { Lab } from '../lab-context.js';
import { checkOutputFile } from '../output-path.js';
import { packageVersion } from '../paths.js';
import { writeReport } from '../report/write.js';

export interface ReportOptions {
  output: string;
  recordDir: string;
  lessonDir?: string;
}

export async function report(lab: Lab, options: ReportOptions): Promise<string> {
  checkOutputFile(options.output, '--output');
  const { path, files } = await writeReport(lab, {
    output: options.output,
    recordDir: options.recordDir,
    lessonDir: options.lessonDir ?? DEFAULTS.report.lessonDir,
    k8sLabVersion: packageVersion(),
  });
  lab.log.success(`report written with ${files.length} timeline picture${files.length === 1 ? '' : 's'}`);
  lab.log.result({ report: path, files }, () => path);
  return path;
}
