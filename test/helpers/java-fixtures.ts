// Java archives assembled from Debian's real jars (/usr/share/java) with the JDK's `jar` tool:
// a Spring-Boot-like fat jar (nested jars stored under BOOT-INF/lib) and an ear holding a war
// holding a jar (three levels).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const JAVA = '/usr/share/java';
export const FAT_JAR_LIBS = ['commons-io-2.11.0.jar', 'wagon-http-shaded-3.5.3.jar', 'guice-no-aop-4.2.3.jar'];

export function buildJavaArchives(): { fatJar: string; war: string; ear: string } {
  const work = mkdtempSync(join(tmpdir(), 'customs-java-'));
  const boot = join(work, 'boot');
  mkdirSync(join(boot, 'BOOT-INF/lib'), { recursive: true });
  mkdirSync(join(boot, 'BOOT-INF/classes/app'), { recursive: true });
  writeFileSync(join(boot, 'BOOT-INF/classes/app/application.properties'), 'server.port=8080\n');
  for (const j of FAT_JAR_LIBS) copyFileSync(join(JAVA, j), join(boot, 'BOOT-INF/lib', j));
  writeFileSync(join(work, 'boot.mf'), 'Main-Class: org.springframework.boot.loader.JarLauncher\nStart-Class: app.Main\nImplementation-Title: demo\nImplementation-Version: 0.0.1-SNAPSHOT\n');
  const fatJar = join(work, 'demo-0.0.1-SNAPSHOT.jar');
  execFileSync('jar', ['--create', '--file', fatJar, '--manifest', join(work, 'boot.mf'), '--no-compress', '-C', boot, '.']);
  const warDir = join(work, 'war');
  mkdirSync(join(warDir, 'WEB-INF/lib'), { recursive: true });
  copyFileSync(join(JAVA, 'commons-lang3-3.12.0.jar'), join(warDir, 'WEB-INF/lib/commons-lang3-3.12.0.jar'));
  writeFileSync(join(warDir, 'WEB-INF/web.xml'), '<web-app/>\n');
  const war = join(work, 'shop.war');
  execFileSync('jar', ['--create', '--file', war, '-C', warDir, '.']);
  const earDir = join(work, 'ear');
  mkdirSync(join(earDir, 'lib'), { recursive: true });
  copyFileSync(war, join(earDir, 'shop.war'));
  copyFileSync(join(JAVA, 'aopalliance-1.0.jar'), join(earDir, 'lib/aopalliance-1.0.jar'));
  const ear = join(work, 'store.ear');
  execFileSync('jar', ['--create', '--file', ear, '-C', earDir, '.']);
  return { fatJar, war, ear };
}

/** name@version of every pom.properties in a jar, read with unzip (the reference reader). */
export function pomTruth(jar: string): string[] {
  const list = execFileSync('unzip', ['-Z1', jar], { encoding: 'utf8' }).split('\n').filter((n) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(n));
  return list.map((n) => {
    const props = Object.fromEntries(execFileSync('unzip', ['-p', jar, n], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => l.trim().split('=', 2)));
    return `${props.groupId}:${props.artifactId}@${props.version}`;
  });
}
