// Where a run's hazards come from (new input or carried from an earlier run) and, in the township
// panel, the villages whose rain reaches their flash-flood indicators (山洪灾害预警指标).
import { LEVEL_COLOURS, lang, t } from './i18n.js';

/** A time as people read it here: Beijing time, month-day hour:minute. */
export function beijing(iso) {
  const d = new Date(iso);
  return d.toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  });
}

const HAZARDS = ['rain', 'fire', 'geohazard'];

export function hazardSources(run, beijing) {
  if (!run?.hazards) return '';
  const parts = HAZARDS.filter((h) => run.hazards[h]).map((h) => {
    const s = run.hazards[h];
    const how = s.source === 'carried' ? t('carriedFrom')(s.from_run, s.as_of ? beijing(s.as_of) : '?')
      : s.source === 'none' ? t('noInput') : t('newInput');
    return `${t('hazards')[h]} ${how}`;
  });
  return ` · ${parts.join('，')}`;
}

export function floodSection(tw, beijing, escapeHtml) {
  const villages = tw.flood_villages || [];
  if (!villages.length) return '';
  const stage = (s, name) => (s ? `<span>${t(name)} ${beijing(s.at)} <span class="muted">(${s.hours} h ≥ ${s.mm} mm)</span></span>` : '');
  return `<h3>${t('floodTitle')}</h3><ul class="flood-villages">${villages.map((v) => `
    <li data-village="${escapeHtml(v.code)}"><rm-swatch colour="${LEVEL_COLOURS[v.level]}"></rm-swatch>
      <b>${escapeHtml(v.name)}</b> ${stage(v.move, 'floodMove')} ${stage(v.prepare, 'floodPrepare')}</li>`).join('')}</ul>`;
}
