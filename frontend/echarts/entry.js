// The parts of ECharts 5.6.0 that Dangjian's pages use, exposed as the global `echarts` like the
// full build: bar charts (workbench, composition, rates), line charts (rates trend) and scatter
// markers (Wilson lower bounds), on a grid with tooltips, drawn on a canvas.
import * as echarts from "echarts/core";
import { BarChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;
