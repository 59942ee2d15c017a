// ECharts, only the parts used (bar charts on a canvas).
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

const FONT = '"PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif';

const live = new Set();
window.addEventListener('resize', () => live.forEach((c) => c.resize()));

// A bar chart: categories on x, one or two series (the second on its own y axis).
export function barChart(el, { categories, series, horizontal }) {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  live.add(chart);
  const catAxis = { type: 'category', data: categories, axisLabel: { fontFamily: FONT, interval: 0, rotate: horizontal ? 0 : (categories.length > 8 ? 40 : 0) } };
  const valAxes = series.map((s, i) => ({ type: 'value', name: s.name, position: i ? 'right' : 'left',
    nameTextStyle: { fontFamily: FONT }, splitLine: { show: i === 0 } }));
  chart.setOption({
    textStyle: { fontFamily: FONT },
    color: ['#c0392b', '#2f6fb0', '#7f8c8d'],
    // richText: no HTML tooltips (the server's CSP refuses inline styles)
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: horizontal ? valAxes.map((a) => ({ ...a, position: a.position === 'right' ? 'top' : 'bottom' })) : catAxis,
    yAxis: horizontal ? { ...catAxis, inverse: true } : valAxes,
    series: series.map((s, i) => ({ type: 'bar', name: s.name, data: s.data,
      [horizontal ? 'xAxisIndex' : 'yAxisIndex']: i, barMaxWidth: 28 })),
  });
  return { dispose() { live.delete(chart); chart.dispose(); } };
}
